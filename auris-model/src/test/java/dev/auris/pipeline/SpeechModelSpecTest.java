package dev.auris.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SpeechModelSpecTest {
    @TempDir
    Path dir;

    @Test
    void writesMapKeysInOneOrderSoARetrainedModelDiffsOnlyWhereItChanged() throws Exception {
        // Map.of iterates in an order salted per JVM: without sorting, the same model wrote auris.json's
        // connector keys differently from one run to the next
        SpeechModelSpec s = new SpeechModelSpec(SpeechModelSpec.FORMAT, new SpeechModelSpec.EncoderRef("encoder", false),
                new SpeechModelSpec.LlmRef("../llm"), Map.of("type", "final"),
                Map.of("type", "ctc-compress", "temperature", 1.0, "blank_threshold", 0.8), new dev.auris.hearing.Decoding(8, 0.4, 2.0, List.of()), null, "fusion.safetensors",
                Map.of("rank", 8, "alpha", 16.0, "targets", List.of("q_proj", "v_proj"), "weights", "lora.safetensors"));
        s.write(dir);
        String json = Files.readString(dir.resolve("auris.json"));
        assertTrue(json.indexOf("blank_threshold") < json.indexOf("temperature") && json.indexOf("temperature") < json.indexOf("\"ctc-compress\""), json);
        assertTrue(json.indexOf("alpha") < json.indexOf("rank") && json.indexOf("rank") < json.indexOf("targets"), json);
        assertEquals(s, SpeechModelSpec.read(dir));
    }
}
