package dev.auris.train.synth;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Text diversity without touching the yardstick: prose is cut into whole sentences a TTS engine reads as written, and
 * train-only texts are spoken in training only, leaving the held-out texts (and clips) those of the split alone.
 */
class TrainOnlyTextsTest {
    @Test
    void proseIsCutIntoSpeakableSentencesOfTheAskedLength() {
        String prose = """
                ABASEMENT, n.  A decent and customary mental attitude in the
                presence of wealth or power. Peculiarly appropriate in an employee
                when addressing the boss. Copyright 1911 by Albert and Charles Boni.
                He said "hello there my friend" loudly. See also {talk mode}. Too short.
                A decent and customary mental attitude in the presence of wealth or power.
                """;
        assertEquals(List.of("A decent and customary mental attitude in the presence of wealth or power.",
                "Peculiarly appropriate in an employee when addressing the boss."), Prose.sentences(prose, 4, 14),
                "joined across lines, split after full stops, once each; no digits, quotes or braces; 4–14 words");
        assertEquals(List.of("Peculiarly appropriate in an employee when addressing the boss."), Prose.sentences(prose, 4, 10));
    }

    @Test
    void proseFilesArePlainOrGzipAndADrawKeepsTextOrder(@TempDir Path dir) throws IOException {
        StringBuilder prose = new StringBuilder();
        for (int i = 0; i < 20; i++) prose.append("Sentence number ").append((char) ('a' + i)).append(" is here.\n");
        Path plain = java.nio.file.Files.writeString(dir.resolve("p.txt"), prose);
        Path gz = dir.resolve("p.txt.gz");
        try (var out = new java.util.zip.GZIPOutputStream(java.nio.file.Files.newOutputStream(gz))) {
            out.write(prose.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        List<String> all = Prose.sentences(plain, 4, 14, 0, 1);
        assertEquals(20, all.size());
        assertEquals(all, Prose.sentences(gz, 4, 14, 0, 1), "gzip reads as plain");
        List<String> five = Prose.sentences(plain, 4, 14, 5, 1);
        assertEquals(5, five.size());
        assertTrue(all.containsAll(five));
        assertEquals(five.stream().sorted(java.util.Comparator.comparingInt(all::indexOf)).toList(), five, "in text order");
        assertEquals(five, Prose.sentences(gz, 4, 14, 5, 1), "the same seed draws the same sentences");
        assertNotEquals(five, Prose.sentences(plain, 4, 14, 5, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> Prose.sentences(plain, 8, 14, 0, 1));
        assertTrue(e.getMessage().contains("no sentence of 8–14 words"), e.getMessage());
        var missing = assertThrows(java.io.UncheckedIOException.class, () -> Prose.sentences(dir.resolve("none.txt"), 4, 14, 0, 1));
        assertTrue(missing.getMessage().contains("cannot read"), missing.getMessage());
    }

    @Test
    void trainOnlyTextsAreSpokenInTrainingOnly(@TempDir Path out) throws IOException {
        Assumptions.assumeTrue(new EspeakNg().available(), "espeak-ng is not installed");
        List<String> extra = List.of("The explosion of an oratorical rocket.", "An appropriate response to a ping.", HeldOutEngineTest.TEXTS.get(3));
        var plain = Synthesizer.run(new Synthesizer.Config(HeldOutEngineTest.TEXTS, out.resolve("plain"), List.of(new EspeakNg()), 1, 4, null, 8, "x", 3,
                Set.of(), false), m -> {});
        var more = Synthesizer.run(new Synthesizer.Config(HeldOutEngineTest.TEXTS, out.resolve("more"), List.of(new EspeakNg()), 1, 4, null, 8, "x", 3,
                Set.of(), false, extra), m -> {});
        assertEquals(plain.trainClips() + 2, more.trainClips(), "the two new sentences join training (the third is already a text of the split)");
        assertEquals(plain.heldOutClips(), more.heldOutClips());
        Set<String> train = HeldOutEngineTest.answers(out.resolve("more/train/asr.jsonl")), held = HeldOutEngineTest.answers(out.resolve("more/heldout/asr.jsonl"));
        assertTrue(train.containsAll(extra.subList(0, 2)), "train-only sentences are spoken in training");
        assertEquals(HeldOutEngineTest.answers(out.resolve("plain/heldout/asr.jsonl")), held, "the held-out texts are unchanged");
        assertEquals(java.nio.file.Files.readAllLines(out.resolve("plain/heldout/asr.jsonl")), java.nio.file.Files.readAllLines(out.resolve("more/heldout/asr.jsonl")),
                "and so are the held-out clips' voices and instructions");
    }
}
