package dev.auris.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * {@code y = x Wᵀ + b} with W [out, in] as in the checkpoint, stored as its {@link Weights} say (a dense
 * tensor libtorch's {@code linear} takes directly — OpenBLAS would repack a [in, out] matrix on every call —
 * or weight-only int8), plus an optional {@link Lora} adapter.
 */
public record Linear(Weights weights, Tensor bias, Lora lora) {
    public Linear(Tensor weight, Tensor bias, Lora lora) {
        this(new Weights.Dense(weight), bias, lora);
    }

    public Linear(Tensor weight, Tensor bias) {
        this(weight, bias, null);
    }

    public Tensor apply(Tensor x) {
        Tensor y = switch (weights) {
            case Weights.Dense d when NativeKernels.takesBf16(x, d.w()) -> withBias(NativeKernels.linearBf16(x, d.w()));
            case Weights.Dense d when GemmBf16.takes(x, d.w()) -> GemmBf16.linear(x, d.w(), bias);
            case Weights.Dense(Tensor w) -> bias == null ? torch.linear(x, w) : torch.linear(x, w, new TensorOptional(bias));
            case Weights.Int8 q -> withBias(q.apply(x));
            case Weights.Int4 q -> withBias(q.apply(x));
            case Weights.Fbgemm8 q -> withBias(q.apply(x));
            case Weights.Fp16 h -> withBias(h.apply(x));
        };
        return lora == null ? y : y.add(lora.apply(x).to(y.scalar_type()));
    }

    private Tensor withBias(Tensor y) {
        return bias == null ? y : y.add(bias.to(y.scalar_type()));
    }

    /** The dense weight [out, in]; int8 layers have none (they are inference-only: load f32 / bf16 to train or save). */
    public Tensor weight() {
        return switch (weights) {
            case Weights.Dense(Tensor w) -> w;
            case Weights.Int8 q -> throw packed();
            case Weights.Int4 q -> throw packed();
            case Weights.Fbgemm8 q -> throw packed();
            case Weights.Fp16 h -> throw packed();
        };
    }

    private static UnsupportedOperationException packed() {
        return new UnsupportedOperationException("this layer's weights are packed int8 / int4 / fp16 (inference only): load the model with --dtype f32 or bf16 to train, merge or save it");
    }

    public Linear withLora(Lora l) { return new Linear(weights, bias, l); }

    /** This layer with the adapter folded into a new weight tensor (W + scale·BA) and no adapter. */
    public Linear merged() {
        if (lora == null) return this;
        Tensor w = weight();
        return new Linear(w.add(lora.delta().to(w.scalar_type())), bias, null);
    }

    public long outFeatures() { return weights.outFeatures(); }

    public long inFeatures() { return weights.inFeatures(); }
}
