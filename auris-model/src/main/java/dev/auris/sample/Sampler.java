package dev.auris.sample;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from float32 logits [V]. Stateful only in its random stream (seeded), so one
 * sampler per generation.
 */
public final class Sampler {
    private final SamplingOptions o;
    private final SplittableRandom random;

    public Sampler(SamplingOptions options) {
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
