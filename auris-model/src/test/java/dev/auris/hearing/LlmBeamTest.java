package dev.auris.hearing;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.llm.Llm;
import dev.auris.llm.Session;
import dev.auris.testing.Golden;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The batched beam LM against a session fed each hypothesis whole: the same next-token logits (1e-5) through steps
 * that drop, repeat and reorder rows as a beam search does, and the same transcript from the joint decoder.
 */
class LlmBeamTest {
    private static float[] alone(Llm llm, int[] context, int[] hyp) {
        try (var scope = new PointerScope(); Session s = llm.newSession()) {
            int[] all = Arrays.copyOf(context, context.length + hyp.length);
            System.arraycopy(hyp, 0, all, context.length, hyp.length);
            return Torch.toFloats(s.prefill(all));
        }
    }

    @Test
    void batchedStepsEqualEachHypothesisFedAlone() {
        try (var guard = new NoGradGuard(); Llm llm = Llm.load(Golden.dir("llama-tiny"), DType.F32)) {
            int[] context = {1, 17, 4};
            int[][] parents = {{0, 0, 0}, {2, 0, 2, 1}, {3}, {0, 0}};                         // fan out, reorder with a repeat, narrow, fan out
            int[][] tokens = {{5, 9, 11}, {7, 7, 3, 20}, {8}, {2, 30}};
            try (LlmBeam beam = LlmBeam.ofTokens(llm, context)) {
                assertArrayEquals(alone(llm, context, new int[0]), beam.start(), 1e-5f);
                List<int[]> live = List.of(new int[0]);
                for (int step = 0; step < parents.length; step++) {
                    float[][] rows = beam.extend(parents[step], tokens[step]);
                    List<int[]> next = new ArrayList<>();
                    for (int i = 0; i < rows.length; i++) {
                        int[] p = live.get(parents[step][i]), h = Arrays.copyOf(p, p.length + 1);
                        h[p.length] = tokens[step][i];
                        next.add(h);
                        assertArrayEquals(alone(llm, context, h), rows[i], 1e-5f, "step " + step + ", hypothesis " + Arrays.toString(h));
                    }
                    live = next;
                }
                assertThrows(IllegalArgumentException.class, () -> beam.extend(new int[]{5}, new int[]{1}), "a parent that is not a row");
                assertThrows(IllegalArgumentException.class, () -> beam.extend(new int[]{0}, new int[]{-1}), "a token outside the vocabulary");
            }
        }
    }

    @Test
    void theJointSearchFindsWhatItFoundPerHypothesis() {
        try (var guard = new NoGradGuard(); Llm llm = Llm.load(Golden.dir("llama-tiny"), DType.F32)) {
            int v = 40, t = 12;
            java.util.Random rnd = new java.util.Random(4);
            float[] lp = new float[t * (v + 1)];                                                 // CTC log-posteriors [T, V+1], blank last
            for (int f = 0; f < t; f++) {
                int hot = f % 3 == 2 ? v : 3 + rnd.nextInt(v - 3);
                for (int c = 0; c <= v; c++) lp[f * (v + 1) + c] = (float) Math.log(c == hot ? 0.9 : 0.1 / v);
            }
            CtcPrefixScorer scorer = new CtcPrefixScorer(lp, t, v + 1);
            Decoding o = new Decoding(6, 0.5, 1.0, List.of());
            int[] context = {1};
            int[] perHyp = JointCtcDecoder.decode(scorer, h -> alone(llm, context, h), java.util.Set.of(), o, t);
            int[] batched;
            try (LlmBeam beam = LlmBeam.ofTokens(llm, context)) {
                batched = JointCtcDecoder.decode(scorer, beam, java.util.Set.of(), o, t);
            }
            assertTrue(perHyp.length > 0);
            assertArrayEquals(perHyp, batched);
        }
    }
}
