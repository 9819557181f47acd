package dev.auris.sample;

/**
 * Min-p sampling (Nguyen et al. 2024; Hugging Face's {@code MinPLogitsWarper}): drops the tokens less
 * probable than {@code minP} times the most probable token still kept, so the cut adapts to how
 * confident the model is.
 */
record MinP(double minP) implements LogitFilter {
    MinP {
        if (!(minP > 0 && minP < 1)) throw new IllegalArgumentException("min-p must be in (0, 1), got " + minP);
    }

    @Override
    public void apply(Candidates c) {
        double[] p = c.probabilities();
        double top = 0;
        for (int i = 0; i < p.length; i++) if (c.kept(i)) top = Math.max(top, p[i]);
        for (int i = 0; i < p.length; i++) if (c.kept(i) && p[i] < minP * top) c.drop(i);
    }
}
