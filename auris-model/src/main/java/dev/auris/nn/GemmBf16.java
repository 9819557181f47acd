package dev.auris.nn;

import dev.auris.core.Cpu;
import dev.auris.core.DType;
import dev.auris.core.Torch;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * bf16 × bf16 products of many rows — an LLM's prefill, an encoder's positions — by Auris's own GEMM
 * ({@code auris_gemm_bf16} in {@code auris_kernels.c}: W packed 32 rows at a time into AVX512-BF16's pair layout,
 * tiles of 8 × 32 outputs in registers, float32 sums rounded once to bf16). On a CPU with AVX512-BF16 and no AMX,
 * libtorch's bf16 {@code linear} (oneDNN) ran a 1.1B prefill at 0.62× llama.cpp's pace; AMX CPUs keep oneDNN,
 * which uses the tiles. Taken for bf16 x of more than {@link NativeKernels#MAX_ROWS} rows outside autograd;
 * {@code -Dauris.gemm=libtorch} turns it off.
 *
 * <p>Shapes: x [..., K] bf16 (K even); W [N, K] bf16 contiguous; bias [N] (any float type) or null; y [..., N] bf16.
 */
final class GemmBf16 {
    private static final MethodHandle GEMM = NativeKernels.downcall(NativeKernels.avx512Bf16() && !"libtorch".equals(System.getProperty("auris.gemm"))
            && !Cpu.current().amx(), "auris_gemm_bf16", "aiaiaaiiiia");
    /** Rows of W a call packs at a time (the kernel's GEMM_NR): thread splits stay multiples of it. */
    private static final int PANEL = 32;


    private GemmBf16() {}

    /** Whether this product runs here: the kernel present, bf16 x of more than MAX_ROWS rows, bf16 contiguous W, K even, no autograd. */
    static boolean takes(Tensor x, Tensor w) {
        if (GEMM == null || w.dim() != 2 || x.dim() < 1) return false;
        long k = w.size(1), n = w.size(0);
        var bf16 = torch.ScalarType.BFloat16;
        return x.scalar_type().intern() == bf16 && w.scalar_type().intern() == bf16 && x.size(x.dim() - 1) == k && k % 2 == 0
                && x.numel() / k > NativeKernels.MAX_ROWS && x.numel() / k <= Integer.MAX_VALUE && n <= Integer.MAX_VALUE && k <= Integer.MAX_VALUE
                && w.is_contiguous() && !x.requires_grad() && !w.requires_grad();
    }

    /** What runs bf16 GEMMs of many rows here: for {@code --stats}. */
    static String describe() {
        return GEMM != null ? "Auris AVX512-BF16 GEMM" : "libtorch (oneDNN)";
    }

    /** x Wᵀ (+ bias) for {@link #takes} products: a new bf16 [..., N]. */
    static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        int n = (int) w.size(0), k = (int) w.size(1);
        Tensor xc = x.contiguous();
        int m = (int) (xc.numel() / k);
        Tensor b = bias == null ? null : bias.to(torch.ScalarType.Float).contiguous();          // [N] float32
        if (b != null && b.numel() != n) throw new IllegalArgumentException("bias of " + b.numel() + " values for " + n + " outputs");
        long[] shape = Torch.shape(x);
        shape[shape.length - 1] = n;
        Tensor y = torch.empty(shape, Torch.options(DType.BF16), new MemoryFormatOptional());     // [..., N]
        MemorySegment xs = Int8Dequant.segment(xc), ws = Int8Dequant.segment(w), ys = Int8Dequant.segment(y);
        MemorySegment bs = b == null ? MemorySegment.NULL : Int8Dequant.segment(b);
        RowSplit.run(n, (long) m * k, Torch.configuredThreads(), PANEL, (n0, n1) -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment pack = arena.allocate(2L * PANEL * k, 64);                         // [K/2, 32, 2] bf16
                int rc = (int) GEMM.invokeExact(xs, m, ws, k, bs, ys, n, n0, n1, 1, pack);
                if (rc != 0) throw new IllegalStateException("native bf16 GEMM refused [" + m + ", " + k + "] × [" + n + ", " + k + "]");
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException("native bf16 GEMM failed", e);
            }
        });
        return y;
    }
}
