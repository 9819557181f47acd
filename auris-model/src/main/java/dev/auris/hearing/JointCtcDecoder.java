package dev.auris.hearing;

import java.util.*;
import java.util.function.Function;

/**
 * Joint CTC / language-model beam search (Watanabe et al. 2017, hybrid CTC/attention decoding, as ESPnet
 * decodes): every hypothesis is scored λ·log p_ctc(h…) + (1 − λ)·Σ log p_lm(token | prefix), the CTC
 * prefix score and the LM's next-token log-probabilities from the speech LLM itself. A hypothesis grows
 * by the tokens the audio makes likely anywhere in the clip and by the LM's own favourites. The CTC
 * keeps the answer to what was said; the LM spells it as text. Ending
 * is scored by the CTC's whole-output probability. Both scores only fall as a prefix grows, so the search
 * stops once the best finished hypothesis beats every live one.
 *
 * <p>An optional length bonus β adds β per token (ESPnet's decoding "penalty", an insertion reward): every
 * token costs the LM log-probability, so shallow fusion leans to dropping short words the audio does hold.
 * With β > 0 a live prefix can still gain, so it stays in the beam while it could overtake the best
 * finished hypothesis within {@value #LOOKAHEAD} more tokens.
 */
public final class JointCtcDecoder {
    private record Hyp(int[] tokens, CtcPrefixScorer.State ctc, double lm, double score) {
        Hyp withScore(double s) { return new Hyp(tokens, ctc, lm, s); }
    }

    private JointCtcDecoder() {}

    /** The language model a search asks, one row per live hypothesis (batched: {@link LlmBeam}). */
    public interface BeamLm {
        /** Next-token logits [V] after the context alone (the empty hypothesis). */
        float[] start();

        /** The live hypotheses are now hypothesis {@code parents[i]} of the previous step plus {@code tokens[i]}: logits [V] after each. */
        float[][] extend(int[] parents, int[] tokens);
    }

    /** A per-hypothesis LM (logits after the context plus a whole prefix) as a {@link BeamLm}, asked once per row. */
    public static BeamLm perHypothesis(Function<int[], float[]> lm) {
        return new BeamLm() {
            private List<int[]> live = List.of(new int[0]);

            public float[] start() { return lm.apply(new int[0]); }

            public float[][] extend(int[] parents, int[] tokens) {
                List<int[]> next = new java.util.ArrayList<>();
                float[][] rows = new float[tokens.length][];
                for (int i = 0; i < tokens.length; i++) {
                    int[] p = live.get(parents[i]), t = Arrays.copyOf(p, p.length + 1);
                    t[p.length] = tokens[i];
                    next.add(t);
                    rows[i] = lm.apply(t);
                }
                live = next;
                return rows;
            }
        };
    }

    /** {@link #decode(CtcPrefixScorer, BeamLm, Set, Decoding, int)} with an LM asked per hypothesis. */
    public static int[] decode(CtcPrefixScorer ctc, Function<int[], float[]> lm, Set<Integer> ends, Decoding o, int maxTokens) {
        return decode(ctc, perHypothesis(lm), ends, o, maxTokens);
    }

    /**
     * The best token sequence (end token excluded).
     *
     * @param lm   next-token logits [V ≥ ctc.tokens()] of the speech LLM after its prompt plus each live hypothesis
     * @param o    beam ({@link Decoding#searchBeam}), CTC weight and length bonus
     * @param ends the tokens that end an answer (scored with the CTC's whole-output probability); empty: the
     *             audio is a segment inside a longer input, and its end is scored by the CTC alone
     */
    public static int[] decode(CtcPrefixScorer ctc, BeamLm lm, Set<Integer> ends, Decoding o, int maxTokens) {
        if (maxTokens < 1) throw new IllegalArgumentException("max tokens must be at least 1, got " + maxTokens);
        double w = o.ctcWeight(), bonus = o.lengthBonus();
        int beam = o.searchBeam();
        int[] likely = ctc.likelyTokens(LIKELY);
        List<Hyp> live = List.of(new Hyp(new int[0], ctc.initial(), 0, 0));
        float[][] logits = {lm.start()};                                                       // [live, V]
        Hyp best = null;
        for (int len = 0; len < maxTokens && !live.isEmpty(); len++) {
            record Cand(Hyp from, int parent, int token, double lm, double score) {}
            PriorityQueue<Cand> cands = new PriorityQueue<>(Comparator.comparingDouble(Cand::score)); // the beam's worst on top
            for (int hi = 0; hi < live.size(); hi++) {
                Hyp h = live.get(hi);
                double[] lp = logSoftmax(logits[hi]);
                if (lp.length < ctc.tokens()) throw new IllegalArgumentException("the LM scores " + lp.length + " tokens, fewer than the CTC's " + ctc.tokens());
                int[] grow = candidates(likely, lp, beam, ctc.tokens());
                double[] psi = w > 0 ? ctc.extensionScores(h.ctc(), grow) : new double[grow.length];
                if (ends.isEmpty()) {                   // no end token: the CTC alone says where the audio's words end
                    double s = (1 - w) * h.lm() + w * ctc.endScore(h.ctc()) + bonus * h.tokens().length;
                    if (best == null || s > best.score()) best = h.withScore(s);
                }
                for (int e : ends) {
                    if (e < 0 || e >= lp.length) continue;
                    double s = (1 - w) * (h.lm() + lp[e]) + w * ctc.endScore(h.ctc()) + bonus * h.tokens().length;
                    if (best == null || s > best.score()) best = new Hyp(h.tokens(), h.ctc(), h.lm() + lp[e], s);
                }
                for (int i = 0; i < grow.length; i++) {
                    int c = grow[i];
                    if (ends.contains(c)) continue;
                    double s = (1 - w) * (h.lm() + lp[c]) + w * psi[i] + bonus * (h.tokens().length + 1);
                    if (cands.size() < beam) cands.add(new Cand(h, hi, c, h.lm() + lp[c], s));
                    else if (s > cands.peek().score()) { cands.poll(); cands.add(new Cand(h, hi, c, h.lm() + lp[c], s)); }
                }
            }
            final Hyp done = best;
            List<Cand> kept = cands.stream().filter(c -> done == null || c.score() + bonus * LOOKAHEAD > done.score())
                    .sorted(Comparator.comparingDouble(Cand::score).reversed()).toList();
            live = kept.stream().map(c -> {
                int[] t = Arrays.copyOf(c.from().tokens(), c.from().tokens().length + 1);
                t[t.length - 1] = c.token();
                return new Hyp(t, ctc.extend(c.from().ctc(), c.token()), c.lm(), c.score());
            }).toList();
            if (!live.isEmpty() && len + 1 < maxTokens) {                                       // the survivors' next-token logits, in one call
                logits = lm.extend(kept.stream().mapToInt(Cand::parent).toArray(), kept.stream().mapToInt(Cand::token).toArray());
            }
        }
        if (best == null || (!live.isEmpty() && live.getFirst().score() > best.score())) best = live.getFirst(); // hit the token budget
        return best.tokens();
    }

    /**
     * The tokens a hypothesis may grow by: those the audio makes likely anywhere (probability ≥ {@value #LIKELY}
     * in some frame) and the LM's own top {@code beam} (so it can still mend a word the encoder garbled).
     */
    private static int[] candidates(int[] likely, double[] lp, int beam, int tokens) {
        java.util.BitSet set = new java.util.BitSet(tokens);
        for (int c : likely) set.set(c);
        PriorityQueue<Integer> top = new PriorityQueue<>(Comparator.comparingDouble(c -> lp[c]));
        for (int c = 0; c < tokens; c++) {
            if (top.size() < beam) top.add(c);
            else if (lp[c] > lp[top.peek()]) { top.poll(); top.add(c); }
        }
        top.forEach(set::set);
        return set.stream().toArray();
    }

    /** How many more tokens a live prefix may take to overtake the best finished hypothesis when β > 0. */
    static final int LOOKAHEAD = 4;

    /** The frame probability from which the audio makes a token a candidate. */
    static final double LIKELY = 1e-3;

    static double[] logSoftmax(float[] logits) {
        double m = Double.NEGATIVE_INFINITY;
        for (float v : logits) m = Math.max(m, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - m);
        double lse = m + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) out[i] = logits[i] - lse;
        return out;
    }
}
