package dev.auris.fusion;

import org.bytedeco.pytorch.Tensor;

import java.util.Map;

/**
 * Survey §4 step 2, audio–text connection: encoder features [B, T, De] → LLM input embeddings
 * [B, T', D]. Continuous connectors project into the embedding space (FrameStackMlp, LinearProjection,
 * ConvDownsampler, UltravoxProjector); discrete ones turn audio into units first (TokenMapper: existing text tokens;
 * AudioVocab: new audio tokens); CtcCompress maps CTC segments softly onto existing text token embeddings.
 */
public sealed interface Connector permits FrameStackMlp, LinearProjection, ConvDownsampler, TokenMapper, CtcCompress, AudioVocab, UltravoxProjector {
    /**
     * Encoder features [B, T, De] → LLM input embeddings [B, T', D]. {@code tokens} is the LLM's input
     * embedding matrix [V, D] (the token-mapping connectors read its rows; the projections ignore it).
     */
    Tensor embed(Tensor features, Tensor tokens);

    /** Every tensor the connector saves, by name (without the "connector." prefix). */
    Map<String, Tensor> parameters();

    /** Names among {@link #parameters()} that are fixed data, never trained (codebooks, id maps). */
    default java.util.Set<String> fixed() { return java.util.Set.of(); }

    /** Whether audio is discretised first (gradients then stop at the units: the selector cannot train). */
    default boolean discrete() { return false; }

    /** Extra logit columns this connector adds to the LM head (AudioVocab's audio tokens), else null. */
    default Tensor extraLogits(Tensor hidden) { return null; }

    /** The section auris.json stores for it. */
    ConnectorSpec spec();

    /** Rows [T_i, D] of different lengths → [B, max T_i, D], zero-padded at the end. */
    static Tensor padStack(Tensor[] rows) {
        long max = 0;
        for (Tensor r : rows) max = Math.max(max, r.size(0));
        Tensor[] out = new Tensor[rows.length];
        for (int i = 0; i < rows.length; i++) {
            long pad = max - rows[i].size(0);
            out[i] = pad == 0 ? rows[i] : org.bytedeco.pytorch.global.torch.cat(new org.bytedeco.pytorch.TensorVector(rows[i],
                    org.bytedeco.pytorch.global.torch.zeros(new long[]{pad, rows[i].size(1)}, new org.bytedeco.pytorch.TensorOptions(rows[i].scalar_type()))), 0);
        }
        return org.bytedeco.pytorch.global.torch.stack(new org.bytedeco.pytorch.TensorVector(out), 0);
    }

    /**
     * LLaMA-Omni's frame stacking: concatenate every k consecutive frames, [B, T, D] → [B, T/k, k·D].
     * Frames past the last full group are dropped (as LLaMA-Omni does); a clip shorter than k frames is
     * zero-padded to one group, so every clip yields at least one embedding.
     */
    static Tensor stackFrames(Tensor x, int k) {
        long b = x.size(0), t = x.size(1), d = x.size(2);
        if (k == 1) return x;
        if (t < k) {
            x = org.bytedeco.pytorch.global.torch.cat(new org.bytedeco.pytorch.TensorVector(x,
                    org.bytedeco.pytorch.global.torch.zeros(new long[]{b, k - t, d}, new org.bytedeco.pytorch.TensorOptions(x.scalar_type()))), 1);
            t = k;
        }
        long groups = t / k;
        return x.narrow(1, 0, groups * k).reshape(b, groups, k * d);
    }
}
