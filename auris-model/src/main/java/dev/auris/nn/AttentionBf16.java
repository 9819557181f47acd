package dev.auris.nn;

import dev.auris.core.Cpu;
import dev.auris.core.Torch;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Attention of many positions in bf16 — an encoder's, unmasked, or a fresh prefill's, causal — by Auris's fused kernel ({@code auris_attend_bf16}
 * in {@code auris_kernels.c}): flash attention's online softmax over blocks of 32 keys, scores by AVX512-BF16's
 * {@code vdpbf16ps} summed in float32, each block's probabilities rounded to bf16 to weigh V. On a CPU with
 * AVX512-BF16 and no AMX libtorch's fused float32 SDPA took 94 ms a Whisper-base layer (8 heads × 1500²) and its bf16
 * SDPA 944 ms; AMX CPUs keep their bf16 matmuls. {@code -Dauris.gemm=libtorch} turns it off with the GEMM.
 *
 * <p>Shapes: q [B, H, T, hd], k and v [B, KV, S, hd] bf16 (H a multiple of KV), hd % 32 == 0 and ≤ 128; out [B, H, T, hd] bf16.
 */
final class AttentionBf16 {
    private static final MethodHandle ATTEND = NativeKernels.downcall(NativeKernels.avx512Bf16() && !"libtorch".equals(System.getProperty("auris.gemm"))
            && !Cpu.current().amx(), "auris_attend_bf16", "aaaaiiiiiiiai");


    private AttentionBf16() {}

    /**
     * Whether this attention runs here: the kernel present, bf16 q, k, v of these shapes, more than a decode's rows, no
     * mask (causal only over the new positions themselves, S = T: a prefill with nothing before it), no autograd.
     */
    static boolean takes(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal) {
        if (ATTEND == null || mask != null || q.dim() != 4 || k.dim() != 4 || v.dim() != 4) return false;
        var bf16 = torch.ScalarType.BFloat16;
        long b = q.size(0), h = q.size(1), t = q.size(2), hd = q.size(3), kv = k.size(1), s = k.size(2);
        return q.scalar_type().intern() == bf16 && k.scalar_type().intern() == bf16 && v.scalar_type().intern() == bf16
                && k.size(0) == b && v.size(0) == b && v.size(1) == kv && v.size(2) == s && k.size(3) == hd && v.size(3) == hd
                && hd % 32 == 0 && hd <= 128 && kv >= 1 && h % kv == 0 && t > NativeKernels.MAX_ROWS && (!causal || s == t)
                && b * h <= Integer.MAX_VALUE && t <= Integer.MAX_VALUE && s <= Integer.MAX_VALUE / 128
                && !q.requires_grad() && !k.requires_grad() && !v.requires_grad();
    }

    /** softmax(q kᵀ / √hd) v (causal: query i sees keys ≤ i) for {@link #takes} inputs: a new bf16 [B, H, T, hd]. */
    static Tensor attend(Tensor q, Tensor k, Tensor v, boolean causal) {
        Tensor qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
        int b = (int) q.size(0), h = (int) q.size(1), t = (int) q.size(2), hd = (int) q.size(3), kv = (int) k.size(1), s = (int) k.size(2);
        Tensor out = torch.empty(Torch.shape(q), qc.options(), new MemoryFormatOptional());         // [B, H, T, hd]
        MemorySegment qs = Int8Dequant.segment(qc), ks = Int8Dequant.segment(kc), vs = Int8Dequant.segment(vc), os = Int8Dequant.segment(out);
        long s32 = (s + 31L) / 32 * 32;
        RowSplit.run(b * h, 2L * t * s * hd, Torch.configuredThreads(), 1, (h0, h1) -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment pack = arena.allocate(4L * s32 * hd, 64);                                // K and V of one head, packed
                int rc = (int) ATTEND.invokeExact(qs, ks, vs, os, h, kv, t, s, hd, h0, h1, pack, causal ? 1 : 0);
                if (rc != 0) throw new IllegalStateException("native bf16 attention refused H " + h + ", KV " + kv + ", T " + t + ", S " + s + ", hd " + hd);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException("native bf16 attention failed", e);
            }
        });
        return out;
    }
}
