package dev.auris.sample;

import dev.auris.core.DType;
import dev.auris.llm.Session;
import dev.auris.llm.TextModel;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Batched decoding gives every row what the one-sequence Generator gives for its prompt and options. */
class BatchGeneratorTest {
    @TempDir
    static Path tmp;

    @Test
    void everyRowEqualsTheOneSequenceGenerator() {
        try (TextModel m = TextModel.load(dev.auris.testing.Fixtures.stories260K(tmp), DType.F32); var guard = new NoGradGuard(); var scope = new PointerScope()) {
            var tok = m.tokenizer();
            int[] a = tok.encode("Once upon a time"), b = tok.encode("The little dog ran to");
            int[][] prompts = {a, b, a, a};
            List<SamplingOptions> opts = List.of(SamplingOptions.greedy(30), SamplingOptions.greedy(30),
                    new SamplingOptions(0.9, 0, 0.95, 0, 1, 7, 40, Set.of(), List.of()), new SamplingOptions(1.0, 20, 1, 0, 1.1, 8, 25, Set.of(), List.of()));
            var batch = BatchGenerator.generate(m.llm(), prompts, tok, opts, m.eosIds());
            for (int i = 0; i < prompts.length; i++) {
                try (Session s = m.llm().newSession()) {
                    var one = Generator.generate(s, s.prefill(prompts[i]), tok, opts.get(i), m.eosIds(), d -> {});
                    assertArrayEquals(one.tokens(), batch.get(i).tokens(), "row " + i);
                    assertEquals(one.text(), batch.get(i).text(), "row " + i);
                    assertEquals(one.stop(), batch.get(i).stop(), "row " + i);
                }
            }
            assertNotEquals(batch.get(0).text(), batch.get(2).text(), "a sampled row differs from the greedy one");
            assertNotEquals(batch.get(0).text(), batch.get(1).text(), "rows see their own prompts");
        }
    }

    @Test
    void badBatchesAreClearErrors() {
        try (TextModel m = TextModel.load(dev.auris.testing.Fixtures.stories260K(tmp.resolve("b")), DType.F32)) {
            var g = SamplingOptions.greedy(4);
            var e = assertThrows(IllegalArgumentException.class, () -> BatchGenerator.generate(m.llm(), new int[][]{{1, 2}, {}}, m.tokenizer(), List.of(g, g), m.eosIds()));
            assertTrue(e.getMessage().contains("non-empty"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> BatchGenerator.generate(m.llm(), new int[][]{{1}}, m.tokenizer(), List.of(g, g), m.eosIds()));
            assertTrue(e.getMessage().contains("one SamplingOptions per prompt"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> BatchGenerator.generate(m.llm(), new int[][]{{9999}}, m.tokenizer(), List.of(g), m.eosIds()));
            assertTrue(e.getMessage().contains("outside the vocabulary"), e.getMessage());
        }
    }
}
