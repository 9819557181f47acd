package dev.auris.hearing;

import dev.auris.core.Torch;
import dev.auris.fusion.CtcCompress;
import dev.auris.llm.Llm;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * What a ctc-compress model's CTC head hears in a clip, as LLM token ids (token mapping into text tokens,
 * survey §4): greedily, or by beam search with the LLM itself as the language model. Training keeps the
 * connector's soft, differentiable {@link CtcCompress#embed}: a decoded path passes no gradient.
 * Shapes: T frames, De encoder width, V LLM vocabulary (the head scores V + 1 classes, blank last).
 */
public final class CtcHearing {
    private CtcHearing() {}

    /**
     * The CTC prefix scorer of one clip from its views, encoder features [T, De] each with the same T (the
     * clip, or its mel-warped views for {@link Decoding#ttaWarps}): the log of their mean CTC posteriors
     * [T, V+1], copied to Java.
     */
    public static CtcPrefixScorer scorer(CtcCompress ctc, List<Tensor> views) {
        if (views.isEmpty()) throw new IllegalArgumentException("ctc-compress: a CTC scorer needs at least one view of the clip");
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            Tensor[] lps = new Tensor[views.size()];
            for (int i = 0; i < lps.length; i++) {
                Tensor f = views.get(i);
                if (f.dim() != 2 || f.size(0) != views.getFirst().size(0)) {
                    throw new IllegalArgumentException("ctc-compress: the views of a clip must be [T, De] with one T, got " + Arrays.toString(f.sizes().vec().get()));
                }
                lps[i] = torch.log_softmax(ctc.logits(f).to(torch.ScalarType.Float), -1);                   // [T, V+1]
            }
            Tensor lp = lps.length == 1 ? lps[0]                                                           // [T, V+1]
                    : torch.logsumexp(torch.stack(new TensorVector(lps)), new long[]{0}, false).sub(Torch.scalar((float) Math.log(lps.length)));
            return new CtcPrefixScorer(Torch.toFloats(lp.contiguous()), (int) lp.size(0), (int) lp.size(1));
        }
    }

    /**
     * The first pass: a CTC beam search with the LLM as the language model (shallow fusion: λ on the CTC
     * prefix score, 1 − λ on the LLM's log-probabilities after {@code context}, e.g. BOS). The segment's end
     * is the CTC's alone to judge, as the clip may sit mid-conversation. Empty when the CTC hears nothing.
     */
    public static int[] firstPass(CtcPrefixScorer scorer, Llm llm, int[] context, Decoding decoding) {
        if (context.length == 0) throw new IllegalArgumentException("ctc-compress: the LLM needs at least one context token (BOS) to score the clip's tokens");
        try (var guard = new NoGradGuard(); LlmBeam lm = LlmBeam.ofTokens(llm, context)) {
            return JointCtcDecoder.decode(scorer, lm, Set.of(), decoding, scorer.frames());
        }
    }

    /** Greedy CTC of encoder features [T, De]: the LLM token ids heard (repeats merged, blanks dropped). */
    public static int[] greedy(CtcCompress ctc, Tensor features) {
        return greedy(ctc.logits(features), ctc.vocab());
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
}
