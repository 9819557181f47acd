package dev.auris.hearing;

import dev.auris.core.Torch;
import dev.auris.llm.KvCache;
import dev.auris.llm.Llm;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * The LLM as a beam search's language model with every live hypothesis in one batch: the context is fed once,
 * and each step keeps the KV cache rows of the survivors' parents and feeds their new tokens together, so a
 * step is one forward of B positions rather than B forwards that each re-feed a hypothesis from where it left
 * the last one (the tiny default's hearing made ≈ 240 forwards of a few positions for a 3 s clip; this makes
 * ≈ 30 of B). Shapes: context [P] ids or [P, D] embeddings; B live hypotheses; V vocabulary.
 */
public final class LlmBeam implements JointCtcDecoder.BeamLm, AutoCloseable {
    private final Llm llm;
    private final KvCache cache;
    private final float[] start;
    private final int maxPositions;
    private long position;

    /** Feeds {@code context} [P, D] (input embeddings) once. */
    public LlmBeam(Llm llm, Tensor context) {
        if (context.dim() != 2 || context.size(1) != llm.config().hiddenSize() || context.size(0) < 1) {
            throw new IllegalArgumentException("a beam's context must be [P ≥ 1, " + llm.config().hiddenSize() + "], got " + java.util.Arrays.toString(Torch.shape(context)));
        }
        this.llm = llm;
        this.maxPositions = llm.config().maxPositionEmbeddings();
        if (context.size(0) > maxPositions) throw new IllegalArgumentException("a context of " + context.size(0) + " positions exceeds the model's " + maxPositions);
        this.cache = llm.newCache();
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            Tensor h = llm.forward(context.unsqueeze(0), 0, cache, null, null);                 // [1, P, D]
            position = context.size(0);
            start = Torch.toFloats(llm.logits(h.select(0, 0).select(0, position - 1)));        // [V]
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
    }

    /** Feeds the token ids {@code context} once. */
    public static LlmBeam ofTokens(Llm llm, int[] context) {
        check(llm, context);
        try (var scope = new PointerScope()) {
            return new LlmBeam(llm, llm.embed(Torch.fromInts(context)));                        // [P, D]
        }
    }

    @Override
    public float[] start() { return start; }

    @Override
    public float[][] extend(int[] parents, int[] tokens) {
        if (parents.length != tokens.length || tokens.length == 0) {
            throw new IllegalArgumentException("a beam step extends B ≥ 1 hypotheses: " + parents.length + " parents, " + tokens.length + " tokens");
        }
        check(llm, tokens);
        if (position + 1 > maxPositions) throw new IllegalArgumentException("the beam reached the model's context of " + maxPositions + " positions");
        int b = tokens.length, v = llm.config().vocabSize();
        float[] flat;
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            cache.reorder(parents);
            Tensor x = llm.embed(Torch.fromInts(tokens).view(b, 1));                              // [B, 1, D]
            Tensor h = llm.forward(x, position, cache, null, null);                               // [B, 1, D]
            flat = Torch.toFloats(llm.logits(h.select(1, 0)).contiguous());                       // [B, V]
        }
        position++;
        float[][] rows = new float[b][];
        for (int i = 0; i < b; i++) rows[i] = java.util.Arrays.copyOfRange(flat, i * v, (i + 1) * v);
        return rows;
    }

    private static void check(Llm llm, int[] ids) {
        int v = llm.config().vocabSize();
        for (int id : ids) if (id < 0 || id >= v) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + v + ")");
    }

    @Override
    public void close() {
        cache.close();
    }
}
