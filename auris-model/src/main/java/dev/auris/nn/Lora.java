package dev.auris.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A low-rank adapter on one linear layer (Hu et al. 2021): {@code y = W x + (alpha / r) · B A dropout(x)}
 * with A [r, in] (random init) and B [out, r] (zero init, so a new adapter changes nothing). Dropout
 * applies only while gradients are recorded (training).
 */
public record Lora(Tensor a, Tensor b, double scale, double dropout) {
    public Lora {
        if (a.dim() != 2 || b.dim() != 2 || a.size(0) != b.size(1)) {
            throw new IllegalArgumentException("LoRA A must be [r, in] and B [out, r]");
        }
    }

    public int rank() { return (int) a.size(0); }

    /** The adapter's contribution for x [..., in]: [..., out]. */
    public Tensor apply(Tensor x) {
        Tensor in = dropout > 0 && org.bytedeco.pytorch.GradMode.is_enabled() ? torch.dropout(x, dropout, true) : x;
        return torch.linear(torch.linear(in.to(a.scalar_type()), a), b).mul(new org.bytedeco.pytorch.Scalar(scale));
    }

    /** The dense update {@code scale · B A} [out, in], to merge into W. */
    public Tensor delta() {
        return torch.matmul(b, a).mul(new org.bytedeco.pytorch.Scalar(scale));
    }
}
