package dev.auris.sample;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The filter chain against the sampler it replaced (issue 19 §5): {@link ReferenceSampler} is the old
 * {@code Sampler}, every filter inline, copied verbatim, and both must pick the same token for every
 * seed, option set and logit vector, step after step (so the random streams stay in step too). Then each
 * filter on hand-computed cases.
 */
class SamplerTest {
    static final double[] TEMPERATURES = {0, 0.3, 0.7, 1, 1.5, 1e-40};
    static final int[] TOP_KS = {0, 1, 2, 5, 40};
    static final double[] TOP_PS = {1, 0.95, 0.5, 0.1, 1e-9};
    static final double[] MIN_PS = {0, 0.05, 0.3, 0.9};
    static final double[] PENALTIES = {1, 1.3, 0.7, 1e-50};

    static SamplingOptions options(double t, int k, double p, double minP, double penalty, long seed) {
        return new SamplingOptions(t, k, p, minP, penalty, seed, 16, Set.of(), List.of());
    }

    /** Logits of several kinds: Gaussian, quantised (many ties), peaked, with masked (−∞) or non-finite entries. */
    static float[] logits(Random r, int v) {
        float[] x = new float[v];
        int kind = r.nextInt(6);
        for (int i = 0; i < v; i++) {
            x[i] = switch (kind) {
                case 0 -> (float) (3 * r.nextGaussian());
                case 1 -> Math.round(2 * r.nextGaussian()) / 2f;                          // ties
                case 2 -> (float) (r.nextGaussian() + (i == v / 2 ? 12 : 0));             // one dominant token
                case 3 -> r.nextInt(4) == 0 ? Float.NEGATIVE_INFINITY : (float) r.nextGaussian();
                case 4 -> (float) (40 * r.nextGaussian());                                 // far-apart logits
                default -> switch (r.nextInt(40)) {                                       // rare non-finite values
                    case 0 -> Float.NaN;
                    case 1 -> Float.POSITIVE_INFINITY;
                    case 2 -> -0f;
                    default -> (float) r.nextGaussian();
                };
            };
        }
        if (r.nextInt(20) == 0) Arrays.fill(x, Float.NEGATIVE_INFINITY);
        return x;
    }

    /** A history of ids, some repeated, some outside the vocabulary (padding, −1). */
    static int[] history(Random r, int v) {
        int[] h = new int[r.nextInt(12)];
        for (int i = 0; i < h.length; i++) h[i] = r.nextInt(v + 4) - 2;
        return h;
    }

    @Test
    void theChainPicksWhatTheInlineSamplerPicked() {
        Random r = new Random(19);
        int cases = 0, differentTokens = 0;
        for (double t : TEMPERATURES)
            for (int k : TOP_KS)
                for (double p : TOP_PS)
                    for (double minP : MIN_PS)
                        for (double penalty : PENALTIES) {
                            long seed = r.nextLong();
                            SamplingOptions o = options(t, k, p, minP, penalty, seed);
                            Sampler chain = new Sampler(o);
                            ReferenceSampler reference = new ReferenceSampler(o);
                            int v = 1 + r.nextInt(r.nextBoolean() ? 8 : 64), first = -1;
                            for (int step = 0; step < 6; step++, cases++) {
                                float[] x = logits(r, v);
                                float[] before = x.clone();
                                int[] h = history(r, v);
                                int want = reference.sample(x, h), got = chain.sample(x, h);
                                assertEquals(want, got, () -> o + " on " + Arrays.toString(before) + " after " + Arrays.toString(h));
                                assertArrayEquals(before, x, "the caller's logits are left alone");
                                if (step == 0) first = got;
                                else if (got != first) differentTokens++;
                            }
                        }
        assertEquals(TEMPERATURES.length * TOP_KS.length * TOP_PS.length * MIN_PS.length * PENALTIES.length * 6, cases);
        assertTrue(cases > 10_000, "cases: " + cases);
        assertTrue(differentTokens > cases / 10, "the cases exercise more than one token: " + differentTokens);
    }

    /** One sampler, many draws from one set of logits: the random streams must stay in step. */
    @Test
    void longRunsDrawTheSameSequence() {
        Random r = new Random(5);
        for (int run = 0; run < 40; run++) {
            SamplingOptions o = options(0.2 + 1.5 * r.nextDouble(), r.nextInt(6), 0.3 + 0.7 * r.nextDouble(), r.nextInt(3) == 0 ? 0.1 : 0,
                    r.nextBoolean() ? 1 : 1.2, r.nextLong());
            Sampler chain = new Sampler(o);
            ReferenceSampler reference = new ReferenceSampler(o);
            float[] x = logits(new Random(run), 32);
            int[] h = {3, 4, 4, 31};
            int[] want = new int[500], got = new int[500];
            for (int i = 0; i < want.length; i++) {
                want[i] = reference.sample(x, h);
                got[i] = chain.sample(x, h);
            }
            assertArrayEquals(want, got, o::toString);
        }
    }

    // ---- each filter by hand ----

    static Candidates candidates(float... x) {
        return new Candidates(x, new int[0]);
    }

    static float[] ln(double... p) {
        float[] x = new float[p.length];
        for (int i = 0; i < p.length; i++) x[i] = (float) Math.log(p[i]);
        return x;
    }

    static int[] kept(Candidates c) {
        return java.util.stream.IntStream.range(0, c.size()).filter(c::kept).toArray();
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokensOnce() {
        Candidates c = new Candidates(new float[]{2, -2, 1, 0.5f, -1, 0}, new int[]{0, 1, 1, 1, 5, -1, 6, 99});
        new RepetitionPenalty(2).apply(c);
        assertArrayEquals(new float[]{1, -4, 1, 0.5f, -1, 0}, c.logits());
        // greedy decoding sees the penalty: 3 > 2.5 until token 0 is penalised to 1.5
        float[] x = {3, 2.5f};
        assertEquals(0, new Sampler(options(0, 0, 1, 0, 1, 0)).sample(x, new int[]{0}));
        assertEquals(1, new Sampler(options(0, 0, 1, 0, 2, 0)).sample(x, new int[]{0}));
        assertEquals(0, new Sampler(options(0, 0, 1, 0, 2, 0)).sample(x, new int[]{1}));
    }

    @Test
    void temperatureDividesTheLogits() {
        Candidates c = candidates(2, -4, 0, 1);
        new Temperature(0.5).apply(c);
        assertArrayEquals(new float[]{4, -8, 0, 2}, c.logits());
        assertThrows(IllegalArgumentException.class, () -> new Temperature(0));
    }

    @Test
    void greedyAtTemperatureZeroIsTheFirstArgmaxWhateverTheSeedAndFilters() {
        float[] x = {0.5f, 3, -1, 3, 2.9f};
        for (long seed = 0; seed < 20; seed++) {
            assertEquals(1, new Sampler(options(0, 0, 1, 0, 1, seed)).sample(x, new int[0]));
            assertEquals(1, new Sampler(options(0, 2, 0.1, 0.5, 1, seed)).sample(x, new int[0]), "top-k/p and min-p do not matter when greedy");
        }
        assertEquals(1, Sampler.argmax(x));
        assertEquals(0, Sampler.argmax(new float[]{7, 7, 7}));
        assertEquals(List.of(new RepetitionPenalty(1.5)), Sampler.chain(options(0, 3, 0.5, 0.2, 1.5, 0)));
    }

    @Test
    void theChainHasTheActiveFiltersInHuggingFacesOrder() {
        assertEquals(List.of(new RepetitionPenalty(1.1), new Temperature(0.7), new TopK(40), new TopP(0.9), new MinP(0.05)),
                Sampler.chain(options(0.7, 40, 0.9, 0.05, 1.1, 0)));
        assertEquals(List.of(new Temperature(1)), Sampler.chain(options(1, 0, 1, 0, 1, 0)));
    }

    @Test
    void topKKeepsTheKHighestLowerIdsFirstOnTies() {
        Candidates c = candidates(1, 5, 3, 5, -2, 4);
        new TopK(3).apply(c);
        assertArrayEquals(new int[]{1, 3, 5}, kept(c));
        c = candidates(2, 7, 7, 7);
        new TopK(2).apply(c);
        assertArrayEquals(new int[]{1, 2}, kept(c));
        c = candidates(1, 2);
        new TopK(5).apply(c);
        assertArrayEquals(new int[]{0, 1}, kept(c));
    }

    @Test
    void topKOneIsTheArgmaxForEverySeed() {
        Random r = new Random(1);
        for (int i = 0; i < 300; i++) {
            float[] x = new float[20];
            for (int j = 0; j < x.length; j++) x[j] = (float) r.nextGaussian();
            assertEquals(Sampler.argmax(x), new Sampler(options(1.5, 1, 1, 0, 1, r.nextLong())).sample(x, new int[0]));
        }
    }

    @Test
    void topPKeepsTheTokenThatCrossesP() {
        // probabilities 0.5, 0.3, 0.15, 0.05 (ids shuffled): cumulative 0.5 before the second, 0.8 before the third
        float[] x = ln(0.15, 0.5, 0.05, 0.3);
        Candidates c = candidates(x);
        new TopP(0.6).apply(c);
        assertArrayEquals(new int[]{1, 3}, kept(c), "0.5 < 0.6, so the 0.3 token that crosses 0.6 stays");
        c = candidates(x);
        new TopP(0.4).apply(c);
        assertArrayEquals(new int[]{1}, kept(c), "the most probable token alone crosses 0.4");
        c = candidates(x);
        new TopP(0.85).apply(c);
        assertArrayEquals(new int[]{0, 1, 3}, kept(c));
        c = candidates(x);
        new TopP(1e-12).apply(c);
        assertArrayEquals(new int[]{1}, kept(c), "the top token always survives");
    }

    @Test
    void topPWorksOnTheProbabilitiesTopKLeft() {
        // after top-2 the probabilities are 0.625 and 0.375: the first alone reaches top-p 0.6 (of all three, 0.5 would not)
        Candidates c = candidates(ln(0.5, 0.3, 0.2));
        new TopK(2).apply(c);
        double[] p = c.probabilities();
        assertEquals(0.625, p[0], 1e-6);
        assertEquals(0.375, p[1], 1e-6);
        assertEquals(0, p[2]);
        new TopP(0.6).apply(c);
        assertArrayEquals(new int[]{0}, kept(c));
        Candidates all = candidates(ln(0.5, 0.3, 0.2));
        new TopP(0.6).apply(all);
        assertArrayEquals(new int[]{0, 1}, kept(all));
        assertThrows(IllegalStateException.class, c::logits, "logits cannot change once normalised");
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheTopProbability() {
        float[] x = ln(0.15, 0.5, 0.05, 0.3);
        Candidates c = candidates(x);
        new MinP(0.2).apply(c); // threshold 0.1
        assertArrayEquals(new int[]{0, 1, 3}, kept(c));
        c = candidates(x);
        new MinP(0.35).apply(c); // threshold 0.175
        assertArrayEquals(new int[]{1, 3}, kept(c));
        c = candidates(x);
        new MinP(0.99).apply(c);
        assertArrayEquals(new int[]{1}, kept(c));
        // relative to the top token still kept: after top-p 0.6 keeps 0.5 and 0.3, the threshold is 0.5 × 0.7
        c = candidates(x);
        new TopP(0.6).apply(c);
        new MinP(0.7).apply(c);
        assertArrayEquals(new int[]{1}, kept(c));
    }

    @Test
    void drawsFollowTheKeptProbabilities() {
        // top-k 3 of 0.4, 0.3, 0.2, 0.1 renormalises to 4/9, 3/9, 2/9
        float[] x = ln(0.2, 0.4, 0.1, 0.3);
        Sampler s = new Sampler(options(1, 3, 1, 0, 1, 42));
        int n = 90_000;
        int[] counts = new int[4];
        for (int i = 0; i < n; i++) counts[s.sample(x, new int[0])]++;
        assertEquals(0, counts[2]);
        assertEquals(4 / 9.0, counts[1] / (double) n, 0.01);
        assertEquals(3 / 9.0, counts[3] / (double) n, 0.01);
        assertEquals(2 / 9.0, counts[0] / (double) n, 0.01);
    }

    @Test
    void aSeedFixesTheDraws() {
        float[] x = ln(0.25, 0.25, 0.25, 0.25);
        int[] a = new int[50], b = new int[50], c = new int[50];
        Sampler sa = new Sampler(options(1, 0, 1, 0, 1, 7)), sb = new Sampler(options(1, 0, 1, 0, 1, 7)), sc = new Sampler(options(1, 0, 1, 0, 1, 8));
        for (int i = 0; i < 50; i++) {
            a[i] = sa.sample(x, new int[0]);
            b[i] = sb.sample(x, new int[0]);
            c[i] = sc.sample(x, new int[0]);
        }
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
    }

    /** The sampler before issue 19 §5, verbatim: the reference the chain must match token for token. */
    private static final class ReferenceSampler {
        private final SamplingOptions o;
        private final SplittableRandom random;

        ReferenceSampler(SamplingOptions options) {
            this.o = options;
            this.random = new SplittableRandom(options.seed());
        }

        /** The next token given the logits and the tokens seen so far (for the repetition penalty). */
        public int sample(float[] logits, int[] history) {
            float[] x = logits.clone();
            if (o.repetitionPenalty() != 1) {
                boolean[] seen = new boolean[x.length];
                for (int id : history) if (id >= 0 && id < x.length) seen[id] = true;
                float p = (float) o.repetitionPenalty();
                for (int i = 0; i < x.length; i++) if (seen[i]) x[i] = x[i] > 0 ? x[i] / p : x[i] * p;
            }
            if (o.temperature() == 0) return argmax(x);
            for (int i = 0; i < x.length; i++) x[i] /= (float) o.temperature();
            Integer[] order = null;
            boolean[] keep = new boolean[x.length];
            Arrays.fill(keep, true);
            if (o.topK() > 0 && o.topK() < x.length) {
                order = sortedDesc(x);
                for (int r = o.topK(); r < order.length; r++) keep[order[r]] = false;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < x.length; i++) if (keep[i]) max = Math.max(max, x[i]);
            double[] p = new double[x.length];
            double sum = 0;
            for (int i = 0; i < x.length; i++) if (keep[i]) sum += p[i] = Math.exp(x[i] - max);
            for (int i = 0; i < x.length; i++) p[i] /= sum;
            if (o.topP() < 1) {
                if (order == null) order = sortedDesc(x);
                double cum = 0;
                for (int r = 0; r < order.length; r++) {
                    int id = order[r];
                    if (!keep[id]) continue;
                    if (cum >= o.topP()) keep[id] = false; // the token that crosses top-p is kept
                    cum += p[id];
                }
            }
            if (o.minP() > 0) {
                double top = 0;
                for (int i = 0; i < x.length; i++) if (keep[i]) top = Math.max(top, p[i]);
                for (int i = 0; i < x.length; i++) if (keep[i] && p[i] < o.minP() * top) keep[i] = false;
            }
            double total = 0;
            for (int i = 0; i < x.length; i++) if (keep[i]) total += p[i];
            double u = random.nextDouble() * total, cum = 0;
            int last = -1;
            for (int i = 0; i < x.length; i++) {
                if (!keep[i]) continue;
                last = i;
                cum += p[i];
                if (u < cum) return i;
            }
            return last;
        }

        public static int argmax(float[] x) {
            int best = 0;
            for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
            return best;
        }

        private static Integer[] sortedDesc(float[] x) {
            Integer[] idx = new Integer[x.length];
            for (int i = 0; i < idx.length; i++) idx[i] = i;
            Arrays.sort(idx, (a, b) -> Float.compare(x[b], x[a]));
            return idx;
        }
    }
}
