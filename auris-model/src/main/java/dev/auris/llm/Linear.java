package dev.auris.llm;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * {@code y = x Wᵀ + b} with W stored [out, in] as in the checkpoint (libtorch's {@code linear} takes
 * that layout directly; OpenBLAS would repack a [in, out] matrix on every call).
 */
public record Linear(Tensor weight, Tensor bias) {
    public Tensor apply(Tensor x) {
        return bias == null ? torch.linear(x, weight) : torch.linear(x, weight, new TensorOptional(bias));
    }

    public long outFeatures() { return weight.size(0); }

    public long inFeatures() { return weight.size(1); }
}
