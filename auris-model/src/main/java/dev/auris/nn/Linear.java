package dev.auris.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * {@code y = x Wᵀ + b} with W stored [out, in] as in the checkpoint (libtorch's {@code linear} takes
 * that layout directly; OpenBLAS would repack a [in, out] matrix on every call), plus an optional
 * {@link Lora} adapter.
 */
public record Linear(Tensor weight, Tensor bias, Lora lora) {
    public Linear(Tensor weight, Tensor bias) {
        this(weight, bias, null);
    }

    public Tensor apply(Tensor x) {
        Tensor y = bias == null ? torch.linear(x, weight) : torch.linear(x, weight, new TensorOptional(bias));
        return lora == null ? y : y.add(lora.apply(x).to(y.scalar_type()));
    }

    public Linear withLora(Lora l) { return new Linear(weight, bias, l); }

    /** This layer with the adapter folded into a new weight tensor (W + scale·BA) and no adapter. */
    public Linear merged() {
        if (lora == null) return this;
        return new Linear(weight.add(lora.delta().to(weight.scalar_type())), bias, null);
    }

    public long outFeatures() { return weight.size(0); }

    public long inFeatures() { return weight.size(1); }
}
