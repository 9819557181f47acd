package dev.auris.nn;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** The normalisations the stages share, over the last dimension of x [..., D]. */
public final class Norms {
    private Norms() {}

    /** HF LlamaRMSNorm: normalise in float32, cast back to the weight's dtype, scale by the weight [D]. */
    public static Tensor rms(Tensor x, Tensor weight, double eps) {
        Tensor n = torch.rms_norm(x.to(torch.ScalarType.Float), new long[]{x.size(x.dim() - 1)}, new TensorOptional(), new DoubleOptional(eps));
        return n.to(weight.scalar_type()).mul(weight);
    }

    /** torch.nn.LayerNorm with weight and bias [D] (Whisper's ε 1e-5). */
    public static Tensor layer(Tensor x, Tensor weight, Tensor bias, double eps) {
        return torch.layer_norm(x, new long[]{x.size(x.dim() - 1)}, new TensorOptional(weight), new TensorOptional(bias), eps, false);
    }
}
