package dev.auris.nn;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Scaled dot-product attention, dispatched by dtype and CPU. float32 goes to libtorch's fused SDPA. For bf16/f16
 * the CPU SDPA kernel of this libtorch build is ~10× slower than float32 (measured: 405 ms vs 47 ms for
 * 32 heads × 512 positions; backward worse; 11× for Whisper's 1500 positions). With AMX, bf16 matmuls are
 * fast, so attention is written out — QKᵀ and PV as bf16 matmuls, the softmax in float32. Without AMX that
 * written-out form is what made the bf16 Whisper encoder 4× slower than float32 (the [B, H, T, T] scores
 * materialised, cast and soft-maxed in memory; oneDNN's batched bf16 matmul with K = 64): there q, k, v are
 * cast up and run through the fused float32 SDPA, and the output cast back (docs/BENCHMARKS.md).
 *
 * <p>Shapes: q [B, H, T, hd], k and v [B, KV, S, hd] with H a multiple of KV (grouped-query attention);
 * mask boolean, broadcastable to [B, H, T, S], true = may attend.
 */
public final class Attention {
    /** bf16 / f16 attention as bf16 matmuls (AMX), else through float32's fused kernel. */
    private static final boolean WRITTEN_OUT = dev.auris.core.Cpu.current().amx();

    private Attention() {}

    /** The dtype keys and values are best kept in for {@link #attend} (a KV cache's): float32 where attention runs in float32. */
    public static torch.ScalarType cacheType(torch.ScalarType type) {
        return WRITTEN_OUT ? type.intern() : torch.ScalarType.Float;
    }

    public static Tensor attend(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal) {
        long h = q.size(1), kvh = k.size(1);
        torch.ScalarType type = q.scalar_type().intern();
        if (mask == null && q.size(2) == 1) {                            // a decode step over a float32 cache: one native call
            Tensor o = NativeKernels.attendOne(q, k, v);
            if (o != null) return type == torch.ScalarType.Float ? o : o.to(type);
        }
        if (AttentionBf16.takes(q, k, v, mask, causal)) return AttentionBf16.attend(q, k, v, causal); // an encoder's or a fresh prefill's positions: the fused bf16 kernel
        if (type == torch.ScalarType.Float || !WRITTEN_OUT) {
            torch.ScalarType f = torch.ScalarType.Float;
            Tensor o = torch.scaled_dot_product_attention(q.to(f), k.to(f), v.to(f), mask == null ? new TensorOptional() : new TensorOptional(mask),
                    0.0, causal && mask == null, new DoubleOptional(), h != kvh);
            return type == f ? o : o.to(type);
        }
        if (h != kvh) {                                                   // query head i uses kv head i / (H/KV)
            k = repeatKv(k, h / kvh);
            v = repeatKv(v, h / kvh);
        }
        long t = q.size(2), s = k.size(2);
        Tensor scores = torch.matmul(q, k.transpose(2, 3)).to(torch.ScalarType.Float).mul(new org.bytedeco.pytorch.Scalar(1.0 / Math.sqrt(q.size(3)))); // [B, H, T, S]
        if (mask != null) {
            scores = scores.masked_fill(mask.logical_not(), new org.bytedeco.pytorch.Scalar(Double.NEGATIVE_INFINITY));
        } else if (causal && t > 1) {
            Tensor allowed = torch.ones(new long[]{t, s}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Bool)).tril(s - t);
            scores = scores.masked_fill(allowed.logical_not(), new org.bytedeco.pytorch.Scalar(Double.NEGATIVE_INFINITY));
        }
        Tensor p = torch.softmax(scores, -1).to(q.scalar_type());
        return torch.matmul(p, v);                                        // [B, H, T, hd]
    }

    /** [B, KV, S, hd] → [B, KV·rep, S, hd], each kv head repeated rep times in place (HF repeat_kv). */
    static Tensor repeatKv(Tensor x, long rep) {
        long b = x.size(0), kv = x.size(1), s = x.size(2), hd = x.size(3);
        return x.unsqueeze(2).expand(new long[]{b, kv, rep, s, hd}).reshape(b, kv * rep, s, hd);
    }
}
