package dev.auris.sample;

/**
 * CTRL's repetition penalty (Keskar et al. 2019) as Hugging Face's {@code RepetitionPenaltyLogitsProcessor}
 * applies it: each token already in the history has a positive logit divided by the penalty and a
 * negative one multiplied, so a penalty above 1 always makes it less likely. Each seen token is penalised
 * once however often it occurred; ids outside the vocabulary (e.g. padding) are ignored.
 */
record RepetitionPenalty(double penalty) implements LogitFilter {
    RepetitionPenalty {
        if (!(penalty > 0)) throw new IllegalArgumentException("repetition penalty must be > 0, got " + penalty);
    }

    @Override
    public void apply(Candidates c) {
        float[] x = c.logits();
        float p = (float) penalty; // in float like the logits
        boolean[] seen = new boolean[x.length];
        for (int id : c.history()) if (id >= 0 && id < x.length) seen[id] = true;
        for (int i = 0; i < x.length; i++) if (seen[i]) x[i] = x[i] > 0 ? x[i] / p : x[i] * p;
    }
}
