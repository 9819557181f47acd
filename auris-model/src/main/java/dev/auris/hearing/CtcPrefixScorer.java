package dev.auris.hearing;

/**
 * CTC prefix scores (Watanabe et al. 2017, "Hybrid CTC/attention architecture for end-to-end speech
 * recognition", §3.3; ESPnet's {@code CTCPrefixScore}): for a token prefix h, the log-probability that
 * the CTC output starts with h, summed over every alignment of the clip's frames. A decoder that scores
 * each next token with it as well as with its own language model can only follow prefixes the audio
 * supports, so it cannot wander off into a fluent sentence nobody said.
 *
 * <p>Over CTC log-probabilities [T, C] (float32, row-major) whose last class is the blank. A
 * {@link State} holds a prefix's forward variables: r_n[t] (its last token emitted at frame t) and r_b[t]
 * (a blank at frame t), in natural log; all of it is plain Java over a few hundred frames.
 */
public final class CtcPrefixScorer {
    private static final double NEG = Double.NEGATIVE_INFINITY;
    private final float[] x;
    private final int frames, classes, blank;
    private final double[][] probabilities;   // [classes][frames]: a token's CTC probability per frame, exp(x), filled as asked

    /** A prefix's forward variables and its prefix score log p(h…). */
    public record State(int length, int last, double[] rn, double[] rb, double score) {}

    /** @param logProbs [frames, classes] log-softmax over tokens + blank (blank = classes − 1) */
    public CtcPrefixScorer(float[] logProbs, int frames, int classes) {
        if (frames < 1 || classes < 2 || logProbs.length != (long) frames * classes) {
            throw new IllegalArgumentException("CTC log-probabilities must be [frames ≥ 1, classes ≥ 2], got " + logProbs.length + " values for " + frames + " × " + classes);
        }
        this.x = logProbs;
        this.frames = frames;
        this.classes = classes;
        this.blank = classes - 1;
        this.probabilities = new double[classes][];
    }

    /** Tokens the CTC scores (blank excluded). */
    public int tokens() { return blank; }

    /** Frames of the clip: no CTC output is longer. */
    public int frames() { return frames; }

    /** The empty prefix: all blanks so far, probability 1. */
    public State initial() {
        double[] rn = new double[frames], rb = new double[frames];
        double acc = 0;
        for (int t = 0; t < frames; t++) {
            rn[t] = NEG;
            acc += x[t * classes + blank];
            rb[t] = acc;
        }
        return new State(0, -1, rn, rb, 0);
    }

    /**
     * log p(h + c …) for the given tokens only, in their order. The prefix score needs none of h + c's own forward
     * variables: ψ = log Σ_t φ_c[t] · p(c | t), where φ_c[t] is the probability that h is complete by frame t − 1
     * (r_n + r_b; r_b alone when c repeats h's last token, which needs a blank between), plus, for the empty h, c at
     * frame 0. So a hypothesis' φ is exponentiated once (scaled by its maximum) and each candidate costs one dot
     * product over the frames and one log, not four log-additions a frame.
     */
    public double[] extensionScores(State h, int[] tokens) {
        double[] psi = new double[tokens.length];
        int start = Math.max(h.length(), 1);
        double[] all = new double[frames], repeat = new double[frames];   // φ[t] and, for c = h's last token, r_b[t − 1] alone
        double top = h.length() == 0 ? 0 : NEG;                           // the empty prefix is complete before frame 0: log 1
        for (int t = start; t < frames; t++) {
            all[t] = logAdd(h.rn()[t - 1], h.rb()[t - 1]);
            repeat[t] = h.rb()[t - 1];
            top = Math.max(top, all[t]);
        }
        if (start > frames || top == NEG) {                               // no alignment of h leaves a frame for c
            java.util.Arrays.fill(psi, NEG);
            return psi;
        }
        for (int t = start; t < frames; t++) {
            all[t] = Math.exp(all[t] - top);
            repeat[t] = Math.exp(repeat[t] - top);
        }
        double first = h.length() == 0 ? Math.exp(-top) : 0;
        for (int i = 0; i < tokens.length; i++) {
            int c = tokens[i];
            double[] p = probabilities(c), w = c == h.last() ? repeat : all;
            double sum = first * p[0];
            for (int t = start; t < frames; t++) sum += w[t] * p[t];
            psi[i] = sum > 0 ? top + Math.log(sum) : NEG;
        }
        return psi;
    }

    /** Token c's probability in every frame [T], computed the first time a search asks. */
    private double[] probabilities(int c) {
        checkToken(c);
        double[] p = probabilities[c];
        if (p == null) {
            p = new double[frames];
            for (int t = 0; t < frames; t++) p[t] = Math.exp(x[t * classes + c]);
            probabilities[c] = p;
        }
        return p;
    }

    /**
     * The tokens the audio may contain: those with probability at least {@code minProbability} in some frame
     * (ascending ids). A prefix with any other token scores below log(minProbability) at its frame, so a
     * search may leave it to the language model's own favourites.
     */
    public int[] likelyTokens(double minProbability) {
        float floor = (float) Math.log(minProbability);
        boolean[] seen = new boolean[blank];
        int n = 0;
        for (int t = 0; t < frames; t++) {
            for (int c = 0; c < blank; c++) {
                if (!seen[c] && x[t * classes + c] >= floor) { seen[c] = true; n++; }
            }
        }
        int[] out = new int[n];
        for (int c = 0, k = 0; c < blank; c++) if (seen[c]) out[k++] = c;
        return out;
    }

    /** The state of prefix h + c. */
    public State extend(State h, int c) {
        checkToken(c);
        double[] rn = new double[frames], rb = new double[frames];
        int start = Math.max(h.length(), 1);
        if (start > frames) {                            // more tokens than frames: no alignment left
            java.util.Arrays.fill(rn, NEG);
            java.util.Arrays.fill(rb, NEG);
            return new State(h.length() + 1, c, rn, rb, NEG);
        }
        double prevN = NEG, prevB = NEG;                 // r_n, r_b of h + c at frame start − 1
        if (h.length() == 0) prevN = x[c];
        for (int t = 0; t < start; t++) { rn[t] = NEG; rb[t] = NEG; }
        rn[start - 1] = prevN;
        double psi = prevN;
        for (int t = start; t < frames; t++) {
            double phi = c == h.last() ? h.rb()[t - 1] : logAdd(h.rn()[t - 1], h.rb()[t - 1]); // h complete by t − 1, ready for c
            double xc = x[t * classes + c];
            double n = logAdd(prevN, phi) + xc;
            double b = logAdd(prevN, prevB) + x[t * classes + blank];
            psi = logAdd(psi, phi + xc);
            prevN = n;
            prevB = b;
            rn[t] = n;
            rb[t] = b;
        }
        return new State(h.length() + 1, c, rn, rb, psi);
    }

    private void checkToken(int c) {
        if (c < 0 || c >= blank) throw new IllegalArgumentException("token " + c + " is outside the CTC's " + blank + " tokens");
    }

    /** log p(h) as the whole CTC output: the score of ending the hypothesis here. */
    public double endScore(State h) { return logAdd(h.rn()[frames - 1], h.rb()[frames - 1]); }

    static double logAdd(double a, double b) {
        if (a == NEG) return b;
        if (b == NEG) return a;
        double m = Math.max(a, b);
        return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
    }
}
