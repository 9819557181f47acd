package dev.auris.train;

import dev.auris.prompt.Turn;
import dev.auris.prompt.Instructions;
import dev.auris.train.data.Example;
import dev.auris.train.data.Manifest;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** repeat.jsonl: every training sentence typed, followed by an ASR instruction, answered by itself; no audio, no held-out text. */
class RepeatManifestTest {
    @Test
    void everyTrainingSentenceIsRepeatedAndNoHeldOutOne() {
        List<Example> repeat = Manifest.read(TrainFixtures.data().resolve("train/repeat.jsonl"), false).examples();
        Set<String> asrTexts = new HashSet<>();
        for (Example e : Manifest.read(TrainFixtures.data().resolve("train/asr.jsonl"), false).examples()) asrTexts.add(e.answer());
        Set<String> held = new HashSet<>();
        for (Example e : Manifest.read(TrainFixtures.data().resolve("heldout/asr.jsonl"), false).examples()) held.add(e.answer());
        Set<String> repeated = new HashSet<>();
        for (Example e : repeat) {
            assertEquals("repeat", e.task());
            List<Turn.Part> parts = e.prompt().getFirst().parts();
            assertEquals(1, parts.size(), "one typed part");
            String typed = ((Turn.Text) parts.getFirst()).text();
            assertTrue(typed.startsWith(e.answer() + " "), typed);
            assertTrue(Instructions.LLASM_ASR.contains(typed.substring(e.answer().length() + 1)), typed);
            assertFalse(held.contains(e.answer()), "held-out sentence in the training repeats: " + e.answer());
            repeated.add(e.answer());
        }
        assertTrue(repeated.containsAll(asrTexts), "every sentence spoken in training is also typed");
        assertEquals(TrainFixtures.TEXTS.size() - TrainFixtures.TEXTS.size() / 4, repeat.size(), "the fixture holds out every 4th text");
    }
}
