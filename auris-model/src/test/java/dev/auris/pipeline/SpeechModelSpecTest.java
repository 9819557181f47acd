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

    @Test
    void anOlderAurisJsonWhoseConnectorHeldTheDecodingSettingsLoadsAsTheTypedSection() throws Exception {
        String old = """
                {"format": "auris/1", "encoder": {"path": "encoder", "pad_30s": false}, "llm": {"path": "../llm"},
                 "selector": {"type": "final"},
                 "connector": {"beam": 8, "blank_threshold": 0.8, "ctc_weight": 0.4, "length_bonus": 2.0, "temperature": 1.0, "type": "ctc-compress"},
                 "weights": "fusion.safetensors"}
                """;
        Files.writeString(dir.resolve("auris.json"), old);
        SpeechModelSpec s = SpeechModelSpec.read(dir);
        assertEquals(new dev.auris.hearing.Decoding(8, 0.4, 2.0, List.of()), s.decoding());
        assertEquals(Map.of("type", "ctc-compress", "blank_threshold", 0.8, "temperature", 1.0), s.connector());
        s.write(dir);                                                  // written back in the new layout, read the same
        assertTrue(Files.readString(dir.resolve("auris.json")).contains("\"decoding\""));
        assertEquals(s, SpeechModelSpec.read(dir));
        // absent fields take the defaults; a bad value is an error naming the field
        Files.writeString(dir.resolve("auris.json"), old.replace("\"ctc_weight\": 0.4", "\"ctc_weight\": 1.4"));
        var e = assertThrows(dev.auris.io.CheckpointException.class, () -> SpeechModelSpec.read(dir));
        assertTrue(e.getMessage().contains("decoding.ctc_weight must be in [0, 1]"), e.getMessage());
        Files.writeString(dir.resolve("auris.json"), old.replace("\"connector\"", "\"decoding\": {\"beam\": 0}, \"connector\""));
        assertEquals(new dev.auris.hearing.Decoding(0, 0.5, 0, List.of()), SpeechModelSpec.read(dir).decoding());
    }
}
