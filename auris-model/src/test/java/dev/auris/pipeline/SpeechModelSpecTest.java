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
    void typedSectionsWriteTheSameBytesOnEveryRunAndReadBack() throws Exception {
        // the sections are records: their fields in declaration order, the type first (Map.of's order, salted per
        // JVM, once wrote the same model's keys differently from one run to the next)
        SpeechModelSpec s = new SpeechModelSpec(SpeechModelSpec.FORMAT, new SpeechModelSpec.EncoderRef("encoder", false),
                new SpeechModelSpec.LlmRef("../llm"), new dev.auris.fusion.SelectorSpec.Final(),
                new dev.auris.fusion.ConnectorSpec.CtcCompress(1.0, 0.8), new dev.auris.hearing.Decoding(8, 0.4, 2.0, List.of()), null, "fusion.safetensors",
                new SpeechModelSpec.Adapters(8, 16.0, null, List.of("q_proj", "v_proj"), null));
        s.write(dir);
        String json = Files.readString(dir.resolve("auris.json"));
        assertTrue(json.contains(String.join("\n", "  \"connector\" : {", "    \"type\" : \"ctc-compress\",", "    \"temperature\" : 1.0,",
                "    \"blank_threshold\" : 0.8", "  },", "  \"decoding\" : {", "    \"beam\" : 8,", "    \"ctc_weight\" : 0.4,", "    \"length_bonus\" : 2.0", "  },")), json);
        assertEquals(s, SpeechModelSpec.read(dir));
        SpeechModelSpec.read(dir).write(dir);
        assertEquals(json, Files.readString(dir.resolve("auris.json")));
        // a misspelt field or an unknown type is an error that names it
        Files.writeString(dir.resolve("auris.json"), json.replace("\"blank_threshold\"", "\"blank_treshold\""));
        var e = assertThrows(dev.auris.io.CheckpointException.class, () -> SpeechModelSpec.read(dir));
        assertTrue(e.getMessage().contains("blank_treshold"), e.getMessage());
        Files.writeString(dir.resolve("auris.json"), json.replace("\"ctc-compress\"", "\"ctc\""));
        e = assertThrows(dev.auris.io.CheckpointException.class, () -> SpeechModelSpec.read(dir));
        assertTrue(e.getMessage().contains("connector.type 'ctc' is unknown: use frame-stack-mlp"), e.getMessage());
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
        assertEquals(new dev.auris.fusion.ConnectorSpec.CtcCompress(1.0, 0.8), s.connector());
        s.write(dir);                                                  // written back in the new layout, read the same
        assertTrue(Files.readString(dir.resolve("auris.json")).contains("\"decoding\""));
        assertEquals(s, SpeechModelSpec.read(dir));
        // absent fields take the defaults; a bad value is an error naming the field
        Files.writeString(dir.resolve("auris.json"), old.replace("\"ctc_weight\": 0.4", "\"ctc_weight\": 1.4"));
        var e = assertThrows(dev.auris.io.CheckpointException.class, () -> SpeechModelSpec.read(dir));
        assertTrue(e.getMessage().contains("decoding.ctc_weight must be in [0, 1]"), e.getMessage());
        Files.writeString(dir.resolve("auris.json"), old.replace("\"connector\"", "\"decoding\": {\"beam\": 0}, \"connector\""));
        e = assertThrows(dev.auris.io.CheckpointException.class, () -> SpeechModelSpec.read(dir));
        assertTrue(e.getMessage().contains("both in connector (the older layout) and in decoding"), e.getMessage());
        Files.writeString(dir.resolve("auris.json"), old.replace("\"connector\": {\"beam\": 8, ", "\"decoding\": {\"beam\": 0}, \"connector\": {")
                .replace("\"ctc_weight\": 0.4, \"length_bonus\": 2.0, ", ""));
        assertEquals(new dev.auris.hearing.Decoding(0, 0.5, 0, List.of()), SpeechModelSpec.read(dir).decoding());
    }
}
