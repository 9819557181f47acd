package dev.auris.sample;

/**
 * Keeps the {@code k} highest logits (Hugging Face's {@code TopKLogitsWarper}; Fan et al. 2018); among
 * equal logits the lower ids. A k at least the vocabulary size keeps everything.
 */
record TopK(int k) implements LogitFilter {
    TopK {
        if (k <= 0) throw new IllegalArgumentException("top-k must be positive, got " + k);
    }

    @Override
    public void apply(Candidates c) {
        if (k >= c.size()) return;
        Integer[] order = c.order();
        for (int r = k; r < order.length; r++) c.drop(order[r]);
    }
}
