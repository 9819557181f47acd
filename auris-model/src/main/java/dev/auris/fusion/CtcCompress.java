package dev.auris.fusion;

import dev.auris.core.Torch;
import dev.auris.llm.Linear;
import dev.auris.llm.Llm;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * CTC compression into the LLM's own embedding space (token mapping with soft posteriors, as Speech-LLaMA,
 * Wu et al. 2023, and Gaido et al. 2021 compress speech by CTC): a CTC head over the LLM's vocabulary plus
 * a blank scores every encoder frame; frames whose blank probability reaches {@code blank_threshold} (0.5
 * by default: about the greedy path; higher keeps weak token spikes for the LLM to weigh) are dropped, and
 * each run of kept frames with the same best token becomes one segment; a segment enters the LLM as its
 * mean posterior over the vocabulary times the LLM's input embedding matrix. When the encoder is sure,
 * that is exactly the embedding row of the token it heard, so speech reaches the LLM as (nearly) the text
 * typed, one position per token. {@code temperature} below 1 sharpens the posteriors towards the best
 * token's own row. The head trains (gradients flow through the posteriors); the segmentation is a
 * discrete choice and passes no gradient. A clip with no kept frame yields one segment: its least-blank
 * frame.
 *
 * <p>At inference ({@code beam} > 0) a clip's CTC posteriors may be averaged over views of it
 * ({@code tta_warps}: mel-axis factors, as the encoder's vocal-tract augmentation in training; 1 is the
 * clip itself), a test-time ensemble that costs one encoder pass a view and nothing in the search.
 *
 * <p>Initialised from the CTC head of an Auris-pretrained encoder ({@code ctc_head.safetensors}: [V+1, De],
 * blank last) when composing. Shapes: B batch, T frames, De encoder width, V LLM vocabulary, S segments.
 */
public record CtcCompress(Linear head, int vocab, double temperature, double blankThreshold, int beam, double ctcWeight, double lengthBonus, List<Double> ttaWarps,
                          Map<String, Tensor> parameters) implements Connector {
    /**
     * Inference defaults: a beam of 8 and equal CTC and LLM weights. models/tiny sets λ 0.4: on 120 held-out clips outside
     * its bundled evaluation, with two-pass hearing, WER 7.7 / 4.9 / 5.5 / 7.1 % and agreement 72.5 / 75.8 / 72.5 / 69.2 % at
     * λ 0.3 / 0.4 / 0.5 / 0.6 (beam 8); beam 16 at λ 0.5: WER 5.4 %, agreement 74.2 %, 1.8× the time; tta_warps
     * [0.9, 1, 1.1] at λ 0.5: WER 5.6 %, agreement 71.7 %. Then at λ 0.4, length_bonus 0 / 1 / 2 / 3: WER 4.9 / 4.1 / 4.1 / 4.7 %,
     * agreement 75.8 / 80.0 / 82.5 / 80.8 %; models/tiny sets 2. No bonus by default: its scale depends on the LLM's and the CTC's.
     */
    public static final int BEAM = 8;
    public static final double CTC_WEIGHT = 0.5;

    public CtcCompress {
        if (beam < 0) throw new IllegalArgumentException("ctc-compress: beam must be 0 (soft segments at inference too) or positive (auris.json: connector.beam)");
        if (!(ctcWeight >= 0 && ctcWeight <= 1)) throw new IllegalArgumentException("ctc-compress: ctc_weight must be in [0, 1] (auris.json: connector.ctc_weight)");
        if (!(lengthBonus >= 0 && lengthBonus <= dev.auris.sample.JointCtcDecoder.MAX_BONUS)) {
            throw new IllegalArgumentException("ctc-compress: length_bonus must be in [0, " + dev.auris.sample.JointCtcDecoder.MAX_BONUS + "] nats a token (auris.json: connector.length_bonus)");
        }
        if (!(temperature > 0)) throw new IllegalArgumentException("ctc-compress: temperature must be positive (auris.json: connector.temperature)");
        if (!(blankThreshold > 0 && blankThreshold <= 1)) {
            throw new IllegalArgumentException("ctc-compress: blank_threshold must be in (0, 1] (auris.json: connector.blank_threshold)");
        }
        ttaWarps = List.copyOf(ttaWarps);
        for (double a : ttaWarps) {
            if (!(a >= 0.5 && a <= 2)) throw new IllegalArgumentException("ctc-compress: each of tta_warps must be a mel-axis factor in [0.5, 2], got " + a + " (auris.json: connector.tta_warps)");
        }
    }

    public static CtcCompress create(int encoderDim, int vocab, double temperature, double blankThreshold, int beam, double ctcWeight, double lengthBonus,
                                     List<Double> ttaWarps, Params p) {
        return new CtcCompress(new Linear(p.get("head.weight", vocab + 1, encoderDim), p.get("head.bias", vocab + 1)), vocab, temperature, blankThreshold,
                beam, ctcWeight, lengthBonus, ttaWarps, p.all());
    }

    /**
     * What the clip says, as LLM token ids, for inference (token mapping into text tokens, survey §4): a
     * CTC beam search over encoder features [T, De] with the LLM itself as the language model (shallow
     * fusion: λ = ctc_weight on the CTC prefix score, 1 − λ on the LLM's log-probabilities after
     * {@code context}, e.g. BOS). The segment's end is the CTC's alone to judge, as the clip may sit
     * mid-conversation. Empty when the CTC hears nothing. Training keeps the soft, differentiable
     * {@link #embed}: the decoded path passes no gradient.
     */
    public int[] hear(Tensor features, Llm llm, int[] context) {
        return hear(scorer(features), llm, context);
    }

    /** {@link #hear(Tensor, Llm, int[])} over the clip's CTC prefix scorer (see {@link #scorer}), for a caller that reuses it. */
    public int[] hear(dev.auris.sample.CtcPrefixScorer scorer, Llm llm, int[] context) {
        if (beam == 0) throw new IllegalStateException("ctc-compress: beam 0 decodes no tokens; embed() gives the soft segments");
        if (context.length == 0) throw new IllegalArgumentException("ctc-compress: the LLM needs at least one context token (BOS) to score the clip's tokens");
        try (dev.auris.llm.Session s = llm.newSession(); var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            float[] first;
            try (var scope = new org.bytedeco.javacpp.PointerScope()) {
                first = Torch.toFloats(s.prefill(context));                                    // [V] after the context
            }
            int[][] held = {new int[0]};                                                       // the tokens the session holds after the context
            return dev.auris.sample.JointCtcDecoder.decode(scorer, h -> {
                if (h.length == 0) return first;
                int common = 0;
                while (common < Math.min(h.length, held[0].length) && h[common] == held[0][common]) common++;
                if (common == h.length) common--;                                               // re-feed h's last token for its logits
                s.truncate(context.length + common);
                held[0] = h;
                try (var scope = new org.bytedeco.javacpp.PointerScope()) {
                    return Torch.toFloats(s.prefill(java.util.Arrays.copyOfRange(h, common, h.length)));
                }
            }, java.util.Set.of(), decoding(scorer.frames()));
        }
    }

    /** The joint CTC / LLM searches' settings: this connector's beam (the default {@value #BEAM} at beam 0), CTC weight and length bonus. */
    public dev.auris.sample.JointCtcDecoder.Options decoding(int maxTokens) {
        return new dev.auris.sample.JointCtcDecoder.Options(beam > 0 ? beam : BEAM, ctcWeight, lengthBonus, maxTokens);
    }

    @Override
    public Tensor embed(Tensor features, Llm llm) {
        long b = features.size(0);
        Tensor[] rows = new Tensor[(int) b];
        Tensor table = llm.embedTokens();                                               // [V, D]
        if (table.size(0) < vocab) {
            throw new IllegalArgumentException("ctc-compress: the CTC head scores " + vocab + " tokens but the LLM has " + table.size(0));
        }
        for (int i = 0; i < b; i++) {
            Tensor logits = head.apply(features.select(0, i).to(head.weight().scalar_type())); // [T, V+1]
            Tensor probs = torch.softmax(logits.to(torch.ScalarType.Float), -1);               // [T, V+1]: what segments
            Tensor post = temperature == 1 ? probs                                              // [T, V+1]: what enters
                    : torch.softmax(logits.to(torch.ScalarType.Float).div(Torch.scalar(temperature)), -1);
            float[] blank = Torch.toFloats(probs.select(1, vocab));                             // [T]
            long[] best = Torch.toLongs(torch.argmax(logits.narrow(1, 0, vocab), new org.bytedeco.pytorch.LongOptional(-1), false)); // [T], best token
            Tensor avg = segments(best, blank);                                                // [S, T]
            Tensor tokens = avg.matmul(post.narrow(1, 0, vocab));                              // [S, V]
            tokens = tokens.div(tokens.sum(new long[]{1}, true, new org.bytedeco.pytorch.ScalarTypeOptional()).clamp_min(Torch.scalar(1e-12f)));
            rows[i] = tokens.to(table.scalar_type()).matmul(table.narrow(0, 0, vocab));        // [S, D]
        }
        return Connector.padStack(rows);                                                       // [B, S, D]
    }

    /**
     * The averaging matrix [S, T] of the CTC segments: frames whose blank probability is below the
     * threshold are kept, and a run of kept frames with the same best token is one segment.
     */
    Tensor segments(long[] best, float[] blank) {
        List<int[]> segs = new ArrayList<>();
        for (int t = 0; t < best.length; t++) {
            if (blank[t] >= blankThreshold) continue;
            if (t > 0 && best[t - 1] == best[t] && !segs.isEmpty() && segs.getLast()[1] == t) segs.getLast()[1] = t + 1;
            else segs.add(new int[]{t, t + 1});
        }
        if (segs.isEmpty()) {
            int least = 0;
            for (int t = 1; t < blank.length; t++) if (blank[t] < blank[least]) least = t;
            segs.add(new int[]{least, least + 1});
        }
        float[] m = new float[segs.size() * best.length];
        for (int s = 0; s < segs.size(); s++) {
            int[] g = segs.get(s);
            for (int t = g[0]; t < g[1]; t++) m[s * best.length + t] = 1f / (g[1] - g[0]);
        }
        return Torch.fromFloats(m, segs.size(), best.length);
    }

    /** The CTC prefix scorer of encoder features [T, De]: their log-probabilities [T, V+1], blank last, copied to Java. */
    public dev.auris.sample.CtcPrefixScorer scorer(Tensor features) {
        return scorer(List.of(features));
    }

    /**
     * The CTC prefix scorer of several views of one clip, encoder features [T, De] each with the same T (the
     * {@link #ttaWarps} of its mel): the log of their mean CTC posteriors [T, V+1], blank last, copied to Java.
     */
    public dev.auris.sample.CtcPrefixScorer scorer(List<Tensor> views) {
        if (views.isEmpty()) throw new IllegalArgumentException("ctc-compress: a CTC scorer needs at least one view of the clip");
        try (var scope = new org.bytedeco.javacpp.PointerScope(); var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            Tensor[] lps = new Tensor[views.size()];
            for (int i = 0; i < lps.length; i++) {
                Tensor f = views.get(i);
                if (f.dim() != 2 || f.size(0) != views.getFirst().size(0)) {
                    throw new IllegalArgumentException("ctc-compress: the views of a clip must be [T, De] with one T, got " + java.util.Arrays.toString(f.sizes().vec().get()));
                }
                lps[i] = torch.log_softmax(head.apply(f.to(head.weight().scalar_type())).to(torch.ScalarType.Float), -1); // [T, V+1]
            }
            Tensor lp = lps.length == 1 ? lps[0]                                                           // [T, V+1]
                    : torch.logsumexp(torch.stack(new org.bytedeco.pytorch.TensorVector(lps)), new long[]{0}, false).sub(Torch.scalar((float) Math.log(lps.length)));
            return new dev.auris.sample.CtcPrefixScorer(Torch.toFloats(lp.contiguous()), (int) lp.size(0), (int) lp.size(1));
        }
    }

    /** Greedy CTC decoding of encoder features [T, De]: the LLM token ids heard (repeats merged, blanks dropped). */
    public int[] decode(Tensor features) {
        return greedy(head.apply(features.to(head.weight().scalar_type())), vocab);
    }

    /** Greedy CTC of logits [T, C]: best class per position, repeats merged, blanks dropped. */
    public static int[] greedy(Tensor logits, int blank) {
        long[] best = Torch.toLongs(torch.argmax(logits, new org.bytedeco.pytorch.LongOptional(-1), false));
        List<Integer> out = new ArrayList<>();
        long prev = -1;
        for (long x : best) {
            if (x != prev && x != blank) out.add((int) x);
            prev = x;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public Map<String, Object> spec() {
        Map<String, Object> spec = new java.util.LinkedHashMap<>(Map.of("type", "ctc-compress", "temperature", temperature, "blank_threshold", blankThreshold,
                "beam", beam, "ctc_weight", ctcWeight));
        if (lengthBonus != 0) spec.put("length_bonus", lengthBonus);
        if (!ttaWarps.isEmpty()) spec.put("tta_warps", ttaWarps);
        return spec;
    }
}
