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
                "Peculiarly appropriate in an employee when addressing the boss."), Synthesizer.sentences(prose, 4, 14),
                "joined across lines, split after full stops, once each; no digits, quotes or braces; 4–14 words");
        assertEquals(List.of("Peculiarly appropriate in an employee when addressing the boss."), Synthesizer.sentences(prose, 4, 10));
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
