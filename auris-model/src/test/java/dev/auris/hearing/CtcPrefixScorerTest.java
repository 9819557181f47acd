package dev.auris.hearing;

import org.junit.jupiter.api.Test;

import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The prefix scores against brute force: every one of the C^T frame paths of a small random CTC
 * output, collapsed (repeats merged, blanks dropped), its probability summed by the label sequence it
 * spells. The reference is that definition itself (Graves et al. 2006), independent of the recursion.
 */
class CtcPrefixScorerTest {
    static final int T = 5, C = 4, BLANK = C - 1;

    static float[] randomLogProbs(long seed) {
        Random r = new Random(seed);
        float[] x = new float[T * C];
        for (int t = 0; t < T; t++) {
            double sum = 0;
            double[] p = new double[C];
            for (int c = 0; c < C; c++) sum += p[c] = Math.exp(2 * r.nextGaussian());
            for (int c = 0; c < C; c++) x[t * C + c] = (float) Math.log(p[c] / sum);
        }
        return x;
    }

    /** Probability of every collapsed label sequence. */
    static Map<List<Integer>, Double> bruteForce(float[] x) {
        Map<List<Integer>, Double> out = new HashMap<>();
        int paths = (int) Math.pow(C, T);
        for (int code = 0; code < paths; code++) {
            int[] path = new int[T];
            double lp = 0;
            for (int t = 0, k = code; t < T; t++, k /= C) {
                path[t] = k % C;
                lp += x[t * C + path[t]];
            }
            List<Integer> labels = new ArrayList<>();
            for (int t = 0; t < T; t++) if (path[t] != BLANK && (t == 0 || path[t] != path[t - 1])) labels.add(path[t]);
            out.merge(labels, Math.exp(lp), Double::sum);
        }
        return out;
    }

    static double prefixProbability(Map<List<Integer>, Double> all, List<Integer> prefix) {
        double p = 0;
        for (var e : all.entrySet()) if (e.getKey().size() >= prefix.size() && e.getKey().subList(0, prefix.size()).equals(prefix)) p += e.getValue();
        return p;
    }

    @Test
    void prefixAndEndScoresEqualTheSumOverAlignments() {
        for (long seed = 1; seed <= 3; seed++) {
            float[] x = randomLogProbs(seed);
            var all = bruteForce(x);
            CtcPrefixScorer s = new CtcPrefixScorer(x, T, C);
            assertEquals(BLANK, s.tokens());
            // every prefix of up to 3 tokens, including repeats (which need a blank between them)
            Deque<CtcPrefixScorer.State> states = new ArrayDeque<>(List.of(s.initial()));
            Deque<List<Integer>> labels = new ArrayDeque<>(List.of(List.of()));
            while (!states.isEmpty()) {
                var st = states.poll();
                var lab = labels.poll();
                assertEquals(all.getOrDefault(lab, 0.0), Math.exp(s.endScore(st)), 1e-6, "whole output " + lab);
                if (lab.size() == 3) continue;
                double[] psi = s.extensionScores(st, new int[]{0, 1, 2});     // every token, in id order
                for (int c = 0; c < BLANK; c++) {
                    List<Integer> next = new ArrayList<>(lab);
                    next.add(c);
                    assertEquals(prefixProbability(all, next), Math.exp(psi[c]), 1e-6, "prefix " + next);
                    var ext = s.extend(st, c);
                    assertEquals(psi[c], ext.score(), 1e-12);
                    states.add(ext);
                    labels.add(next);
                }
            }
        }
    }

    @Test
    void moreTokensThanFramesHaveNoAlignment() {
        float[] x = randomLogProbs(9);
        CtcPrefixScorer s = new CtcPrefixScorer(x, T, C);
        var st = s.initial();
        for (int i = 0; i < T; i++) st = s.extend(st, i % 2);
        assertEquals(Double.NEGATIVE_INFINITY, s.extend(st, 0).score());
        assertThrows(IllegalArgumentException.class, () -> new CtcPrefixScorer(new float[7], 2, 4));
        assertThrows(IllegalArgumentException.class, () -> s.extend(s.initial(), BLANK));
    }

    @Test
    void jointSearchFollowsTheAudioAndTheLanguageModelBreaksTies() {
        // frames spell "0 1" clearly; an LM that prefers token 2 everywhere cannot pull the CTC off it at λ = 0.5
        float[] x = new float[4 * C];
        int[] best = {0, BLANK, 1, BLANK};
        for (int t = 0; t < 4; t++) for (int c = 0; c < C; c++) x[t * C + c] = (float) Math.log(c == best[t] ? 0.97 : 0.01);
        CtcPrefixScorer s = new CtcPrefixScorer(x, 4, C);
        float[] lm = {0, 0, 3, 0};
        var o = new Decoding(3, 0.5, 0, List.of());
        assertArrayEquals(new int[]{0, 1}, JointCtcDecoder.decode(s, h -> lm, Set.of(), o, 10));
        // with the LM alone (λ = 0) and an end token the LM likes after two tokens, the LM's choice wins
        assertArrayEquals(new int[]{2, 2}, JointCtcDecoder.decode(s, h -> h.length < 2 ? lm : new float[]{0, 0, 0, 9}, Set.of(3), new Decoding(3, 0, 0, List.of()), 10));
        // the token budget stops an LM that never ends
        assertEquals(4, JointCtcDecoder.decode(s, h -> lm, Set.of(3), new Decoding(2, 0, 0, List.of()), 4).length);
        assertThrows(IllegalArgumentException.class, () -> new Decoding(-1, 0.5, 0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> JointCtcDecoder.decode(s, h -> lm, Set.of(), o, 0));
        assertThrows(IllegalArgumentException.class, () -> new Decoding(2, 1.5, 0, List.of()));
    }

    @Test
    void lengthBonusKeepsAShortWordTheLanguageModelWouldDrop() {
        // frames hold "0 1 2" but token 1 only faintly (p = 0.45 against blank 0.5): with the LM, which finds 1 less
        // likely than 0 or 2, the search drops it (score -1.27 against -2.23); a reward of 1.5 nats a token keeps it
        float[] x = new float[6 * C];
        double[][] p = {{0.97, 0.01, 0.01, 0.01}, {0.01, 0.01, 0.01, 0.97}, {0.04, 0.45, 0.01, 0.5}, {0.01, 0.01, 0.01, 0.97},
                {0.01, 0.01, 0.97, 0.01}, {0.01, 0.01, 0.01, 0.97}};
        for (int t = 0; t < 6; t++) for (int c = 0; c < C; c++) x[t * C + c] = (float) Math.log(p[t][c]);
        CtcPrefixScorer s = new CtcPrefixScorer(x, 6, C);
        float[] lm = {0, -1, 0, -9};
        assertArrayEquals(new int[]{0, 2}, JointCtcDecoder.decode(s, h -> lm, Set.of(), new Decoding(4, 0.5, 0, List.of()), 10));
        assertArrayEquals(new int[]{0, 1, 2}, JointCtcDecoder.decode(s, h -> lm, Set.of(), new Decoding(4, 0.5, 1.5, List.of()), 10));
        assertThrows(IllegalArgumentException.class, () -> new Decoding(2, 0.5, -0.1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new Decoding(2, 0.5, Double.NaN, List.of()));
    }
}
