package dev.auris.train;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Story sampling is batched, yet story i depends only on (seed, i): not on how many stories are asked for or how they are batched. */
class SynthesisTest {
    @Test
    void storyIDependsOnlyOnItsSeed() {
        int n = Synthesis.STORY_BATCH + 6;                       // a full batch and a partial one
        List<String> many = Synthesis.sampleSentences(TrainFixtures.llm(), n, 0.9, 4, 12, 1);
        List<String> few = Synthesis.sampleSentences(TrainFixtures.llm(), 3, 0.9, 4, 12, 1);
        assertFalse(few.isEmpty());
        assertEquals(few, many.subList(0, few.size()), "the first stories are the same whatever the count");
        assertTrue(many.size() > 10 * few.size(), "more stories, more sentences: " + many.size());
        for (String s : many) {
            int words = s.split("\\s+").length;
            assertTrue(words >= 4 && words <= 12 && s.matches(".*[.!?]$"), s);
        }
        assertEquals(many, Synthesis.sampleSentences(TrainFixtures.llm(), n, 0.9, 4, 12, 1), "deterministic");
        assertNotEquals(few, Synthesis.sampleSentences(TrainFixtures.llm(), 3, 0.9, 4, 12, 2), "another seed, other stories");
    }
}
