package dev.auris.sample;

import java.util.Arrays;

/**
 * The tokens still in the running for one draw, as the {@link LogitFilter} chain narrows them: the
 * logits (a copy, changed in place by the logit filters), the kept set, and, computed once on first
 * use, the softmax over the kept tokens and the tokens ordered by logit. Both derived views freeze the
 * logits: a filter that changes logits after them would make them stale, so {@link #logits()} refuses.
 */
final class Candidates {
    private final float[] logits;
    private final int[] history;
    private final boolean[] kept;
    private Integer[] order;
    private double[] probabilities;

    Candidates(float[] logits, int[] history) {
        this.logits = logits.clone();
        this.history = history;
        this.kept = new boolean[logits.length];
        Arrays.fill(kept, true);
    }

    int size() { return logits.length; }

    /** The tokens generated so far (read by the repetition penalty). */
    int[] history() { return history; }

    /** The logits, to change in place; only before {@link #order()} or {@link #probabilities()}. */
    float[] logits() {
        if (order != null || probabilities != null) throw new IllegalStateException("logits changed after they were ranked or normalised");
        return logits;
    }

    boolean kept(int id) { return kept[id]; }

    void drop(int id) { kept[id] = false; }

    /**
     * Every token id by logit, highest first; equal logits in id order (a stable sort), so top-k and
     * top-p see one order whichever asks first.
     */
    Integer[] order() {
        if (order == null) {
            Integer[] idx = new Integer[logits.length];
            for (int i = 0; i < idx.length; i++) idx[i] = i;
            Arrays.sort(idx, (a, b) -> Float.compare(logits[b], logits[a]));
            order = idx;
        }
        return order;
    }

    /**
     * Softmax over the tokens kept when first asked (0 for the others), in double: exp(x − max) over the
     * kept, divided by their sum. Later filters drop tokens without renormalising; the draw scales by
     * the kept total instead.
     */
    double[] probabilities() {
        if (probabilities == null) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < logits.length; i++) if (kept[i]) max = Math.max(max, logits[i]);
            double[] p = new double[logits.length];
            double sum = 0;
            for (int i = 0; i < logits.length; i++) if (kept[i]) sum += p[i] = Math.exp(logits[i] - max);
            for (int i = 0; i < logits.length; i++) p[i] /= sum;
            probabilities = p;
        }
        return probabilities;
    }
}
