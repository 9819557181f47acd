package dev.auris.train.synth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The held-out engine split and engine-balanced voice sampling: a held-out engine gives no voice to training and speaks
 * the held-out texts in heldout-engine/; drawing an engine first lets FreeTTS's 9 voices be heard as often as espeak-ng's
 * 216.
 */
class HeldOutEngineTest {
    static final List<String> TEXTS = new ArrayList<>();

    static {
        for (int i = 0; i < 40; i++) TEXTS.add("The " + (i % 2 == 0 ? "cat" : "dog") + " ran to tree number " + (char) ('a' + i % 26) + ".");
    }

    static Map<String, Integer> engines(Path manifest) throws IOException {
        Map<String, Integer> n = new TreeMap<>();
        ObjectMapper json = new ObjectMapper();
        for (String l : Files.readAllLines(manifest)) if (!l.isBlank()) n.merge(json.readTree(l).path("voice").asText().split(":")[0], 1, Integer::sum);
        return n;
    }

    static Set<String> answers(Path manifest) throws IOException {
        Set<String> s = new HashSet<>();
        ObjectMapper json = new ObjectMapper();
        for (String l : Files.readAllLines(manifest)) if (!l.isBlank()) s.add(json.readTree(l).path("messages").path(1).path("content").asText());
        return s;
    }

    @Test
    void aHeldOutEngineSpeaksOnlyTheHeldOutTexts(@TempDir Path out) throws IOException {
        Assumptions.assumeTrue(new EspeakNg().available(), "espeak-ng is not installed");
        var s = Synthesizer.run(new Synthesizer.Config(TEXTS, out, List.of(new EspeakNg(), new FreeTts()), 1, 4, null, 8, "x", 3, Set.of("freetts"), false), m -> {});
        assertEquals(Map.of("espeak-ng", s.trainClips()), engines(out.resolve("train/asr.jsonl")));
        assertEquals(Map.of("espeak-ng", s.heldOutClips()), engines(out.resolve("heldout/asr.jsonl")));
        assertEquals(Map.of("freetts", 10), engines(out.resolve(Synthesizer.HELD_OUT_ENGINE + "/asr.jsonl")), "every 4th of 40 texts, in freetts voices");
        assertEquals(answers(out.resolve("heldout/asr.jsonl")), answers(out.resolve(Synthesizer.HELD_OUT_ENGINE + "/asr.jsonl")));
        JsonNode split = new ObjectMapper().readTree(out.resolve("split.json").toFile());
        assertEquals("[\"freetts\"]", split.path("heldout_engines").toString());
        assertEquals(new FreeTts().voices().size(), split.path("heldout_engine_voices").size());
        split.path("train_voices").forEach(v -> assertFalse(v.asText().startsWith("freetts"), v.asText()));
    }

    @Test
    void drawingAnEngineFirstBalancesEngines(@TempDir Path out) throws IOException {
        Assumptions.assumeTrue(new EspeakNg().available(), "espeak-ng is not installed");
        List<TtsEngine> both = List.of(new EspeakNg(), new FreeTts());
        Synthesizer.run(new Synthesizer.Config(TEXTS, out.resolve("voices"), both, 1, 4, null, 8, "x", 3, Set.of(), false), m -> {});
        Synthesizer.run(new Synthesizer.Config(TEXTS, out.resolve("engines"), both, 1, 4, null, 8, "x", 3, Set.of(), true), m -> {});
        int byVoice = engines(out.resolve("voices/train/asr.jsonl")).getOrDefault("freetts", 0);
        int byEngine = engines(out.resolve("engines/train/asr.jsonl")).getOrDefault("freetts", 0);
        // 30 training clips: by voice FreeTTS has 8 of ≈ 200 training voices (≈ 1 clip), by engine half the draws (≈ 15)
        assertTrue(byVoice <= 5, "by voice: " + byVoice + " FreeTTS clips");
        assertTrue(byEngine >= 8, "by engine: " + byEngine + " FreeTTS clips");
        assertEquals("engines", new ObjectMapper().readTree(out.resolve("engines/split.json").toFile()).path("voice_sampling").asText());
    }

    @Test
    void anUnknownHeldOutEngineIsRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Synthesizer.Config(TEXTS, Path.of("x"), List.of(new FreeTts()), 1, 4, null, 8, "x", 3, Set.of("festival"), false));
        assertTrue(e.getMessage().contains("festival"), e.getMessage());
    }
}
