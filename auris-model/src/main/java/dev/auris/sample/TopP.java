package dev.auris.sample;

/**
 * Nucleus sampling (Holtzman et al. 2020; Hugging Face's {@code TopPLogitsWarper}): keeps the most
 * probable tokens until their probability reaches {@code p}, the token that crosses {@code p} included,
 * so the most probable token always survives. Probabilities are those over the tokens top-k left.
 */
record TopP(double p) implements LogitFilter {
    TopP {
        if (!(p > 0 && p <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + p);
    }

    @Override
    public void apply(Candidates c) {
        double[] prob = c.probabilities();
        double cum = 0;
        for (int id : c.order()) {
            if (!c.kept(id)) continue;
            if (cum >= p) c.drop(id); // the token that crosses top-p is kept
            cum += prob[id];
        }
    }
}
