package dev.auris.fusion;

import dev.auris.nn.Linear;
import dev.auris.nn.Norms;
import dev.auris.nn.Params;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.Map;

/**
 * Ultravox's multi-modal projector (fixie-ai/ultravox {@code ultravox_model.py}: {@code StackAudioFrames},
 * {@code UltravoxProjector}): stack {@code stack_factor} frames (zero-padding the last group), RMSNorm,
 * linear_1 → SwiGLU ({@code x, gate = chunk(2)}; {@code silu(gate)·x}, halving the width) → [RMSNorm] →
 * linear_2 → [RMSNorm], no biases, RMSNorm ε 1e-6. v0.5 and later normalise after the SwiGLU
 * ({@code projector_ln_mid}: {@code ln_mid}); v0.4.1 and earlier after linear_2 ({@code ln_post}).
 * Tensor names are Ultravox's without its {@code multi_modal_projector.} prefix.
 */
public record UltravoxProjector(int stackFactor, Tensor lnPre, Linear linear1, Tensor lnMid, Linear linear2, Tensor lnPost,
                                Map<String, Tensor> parameters) implements Connector {
    static final double EPS = 1e-6;

    public static UltravoxProjector create(int stackFactor, int hidden, boolean lnMid, int encoderDim, int llmDim, Params p) {
        if (stackFactor <= 0 || hidden <= 0 || hidden % 2 != 0) {
            throw new IllegalArgumentException("ultravox: stack_factor must be positive and hidden positive and even (SwiGLU halves it), got "
                    + stackFactor + " and " + hidden + " (auris.json: connector)");
        }
        long in = (long) encoderDim * stackFactor;
        int mid = hidden / 2;
        return new UltravoxProjector(stackFactor, p.get("ln_pre.weight", in), new Linear(p.get("linear_1.weight", hidden, in), null),
                lnMid ? p.get("ln_mid.weight", mid) : null, new Linear(p.get("linear_2.weight", llmDim, mid), null),
                lnMid ? null : p.get("ln_post.weight", llmDim), p.all());
    }

    @Override
    public Tensor embed(Tensor features, Tensor tokens) {
        Tensor x = padAndStack(features, stackFactor).to(linear1.weight().scalar_type()); // [B, ⌈T/k⌉, k·De]
        Tensor h = linear1.apply(Norms.rms(x, lnPre, EPS));                              // [B, T', hidden]
        long half = h.size(2) / 2;
        h = torch.silu(h.narrow(2, half, half)).mul(h.narrow(2, 0, half));               // [B, T', hidden/2]
        if (lnMid != null) h = Norms.rms(h, lnMid, EPS);
        h = linear2.apply(h);                                                            // [B, T', D]
        return lnPost != null ? Norms.rms(h, lnPost, EPS) : h;
    }

    /** StackAudioFrames: zero-pad T up to a multiple of k, then [B, T, De] → [B, T/k, k·De]. */
    static Tensor padAndStack(Tensor x, int k) {
        long b = x.size(0), t = x.size(1), d = x.size(2), pad = (k - t % k) % k;
        if (pad > 0) x = torch.cat(new TensorVector(x, torch.zeros(new long[]{b, pad, d}, new org.bytedeco.pytorch.TensorOptions(x.scalar_type()))), 1);
        return x.reshape(b, (t + pad) / k, k * d);
    }

    @Override
    public ConnectorSpec spec() {
        return new ConnectorSpec.Ultravox(stackFactor, (int) linear1.outFeatures(), lnMid != null);
    }
}
