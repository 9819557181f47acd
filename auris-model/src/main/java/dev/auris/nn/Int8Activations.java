package dev.auris.nn;

import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Decode products with the activations quantized to int8, as llama.cpp's Q8_0 · Q8_0 and Q4_0 · Q8_0 dot products
 * run them: x is quantized once per call in 32-blocks (d = max|x| / 127, round to nearest even), each weight row
 * meets it in AVX512-VNNI's {@code vpdpbusd} (64 byte products a instruction, summed exactly in int32), and the
 * block sums are scaled in float32 ({@code auris_kernels.c}, last section). Against the int8 × float32 kernels
 * this moves a row's work from four conversions per 16 weights to one per 64, which is what kept int8 and int4
 * decode below the memory's pace; the price is x's rounding (a relative error near 1/254 of a block's largest
 * value), the same that llama.cpp's quantized types pay. On by default where the CPU has VNNI;
 * {@code -Dauris.activations=f32} keeps float32 activations (results equal float math on the dequantized weights).
 *
 * <p>Shapes: x [m, k] float32 (k % 64 == 0); W [n, k]; y [m, n] float32.
 */
final class Int8Activations {
    private static final MethodHandle QUANTIZE, Q8X8, Q4X8;
    private static final boolean ON = !"f32".equals(System.getProperty("auris.activations", "int8"));

    static {
        MethodHandle quantize = null, q8 = null, q4 = null;
        if (NativeKernels.vnni()) {
            Linker linker = Linker.nativeLinker();
            var a = ValueLayout.ADDRESS;
            var i = ValueLayout.JAVA_INT;
            var lib = NativeKernels.library();
            quantize = linker.downcallHandle(lib.findOrThrow("auris_quantize_x8"), FunctionDescriptor.of(i, a, i, i, a, a, a, a, a, a));
            q8 = linker.downcallHandle(lib.findOrThrow("auris_gemv_q8x8"), FunctionDescriptor.of(i, a, a, a, i, a, a, i, i, a, i, i, i));
            q4 = linker.downcallHandle(lib.findOrThrow("auris_gemv_q4x8"), FunctionDescriptor.of(i, a, a, a, i, a, a, i, a, i, i, i));
        }
        QUANTIZE = quantize;
        Q8X8 = q8;
        Q4X8 = q4;
    }

    private Int8Activations() {}

    /** Whether products over K inputs run here: VNNI present, K % 64 == 0, and not switched off. */
    static boolean takes(long k) {
        return ON && Q8X8 != null && k % 64 == 0 && k > 0 && k <= Integer.MAX_VALUE;
    }

    /** What runs: for {@code --stats}. */
    static String describe() {
        return Q8X8 == null ? "float32 (no AVX512-VNNI)" : ON ? "int8 per 32-block (AVX512-VNNI)" : "float32 (-Dauris.activations=f32)";
    }

    /**
     * x quantized per 32-block, in the layout the kernels read (auris_quantize_x8): P = k / 64 pairs of blocks. The
     * segments are bare addresses of {@code arena}'s memory, so the row-split's worker threads can pass them (a confined
     * arena's own segments refuse other threads); the arena outlives the call.
     */
    record Quantized(MemorySegment xq, MemorySegment xa, MemorySegment xn, MemorySegment xd, MemorySegment xs, MemorySegment xc, int m, int k) {
        static Quantized of(MemorySegment x, int m, int k, Arena arena) {
            long pairs = (long) m * (k / 64);
            var q = new Quantized(bare(arena.allocate((long) m * k, 64)), bare(arena.allocate((long) m * k, 64)), bare(arena.allocate(8 * pairs, 64)),
                    bare(arena.allocate(4 * 16 * pairs, 64)), bare(arena.allocate(4L * 4 * m * (k / 32), 64)), bare(arena.allocate(4L * m * (k / 32), 64)), m, k);
            int rc;
            try {
                rc = (int) QUANTIZE.invokeExact(x, m, k, q.xq, q.xa, q.xn, q.xd, q.xs, q.xc);
            } catch (Throwable e) {
                throw new IllegalStateException("native activation quantization failed", e);
            }
            if (rc != 0) throw new IllegalStateException("native activation quantization refused [" + m + ", " + k + "]");
            return q;
        }

        private static MemorySegment bare(MemorySegment s) {
            return MemorySegment.ofAddress(s.address());
        }
    }

    /** y [m, n] = x [m, k] · (q [n, k] int8 · s [n, k/group])ᵀ, group 32 or k; x float32, contiguous. */
    static void q8(Tensor x, int m, Weights.Int8 w, Tensor y) {
        try (Arena arena = Arena.ofConfined()) {
            q8(Quantized.of(Int8Dequant.segment(x), m, (int) w.inFeatures(), arena), w, Int8Dequant.segment(y));
        }
    }

    /** y [m, n] float32 = x W ᵀ for x already quantized and W int8 (group 32 or k). */
    static void q8(Quantized xq, Weights.Int8 w, MemorySegment out) {
        int k = xq.k(), n = (int) w.outFeatures(), m = xq.m();
        MemorySegment q = Int8Dequant.segment(w.q()), s = Int8Dequant.segment(w.scales());
        RowSplit.run(n, (long) m * k, Torch.configuredThreads(), 1, (r0, r1) -> {
            int rc;
            try {
                rc = (int) Q8X8.invokeExact(xq.xa, xq.xn, xq.xd, m, q, s, w.group(), k, out, n, r0, r1);
            } catch (Throwable e) {
                throw new IllegalStateException("native int8 × int8 kernel failed", e);
            }
            if (rc != 0) throw new IllegalStateException("native int8 × int8 kernel refused [" + n + ", " + k + "] group " + w.group());
        });
    }

    /** y [m, n] = x [m, k] · Wᵀ for int4 W in 32-blocks (p [n, k/2], s [n, k/32] float16); x float32, contiguous. */
    static void q4(Tensor x, int m, Tensor packed, Tensor scales, int n, int k, Tensor y) {
        try (Arena arena = Arena.ofConfined()) {
            q4(Quantized.of(Int8Dequant.segment(x), m, k, arena), Int8Dequant.segment(packed), Int8Dequant.segment(scales), n, Int8Dequant.segment(y));
        }
    }

    /** y [m, n] float32 = x W ᵀ for x already quantized and W int4 in 32-blocks (p [n, k/2], s [n, k/32] float16). */
    static void q4(Quantized xq, MemorySegment p, MemorySegment s, int n, MemorySegment out) {
        int k = xq.k(), m = xq.m();
        RowSplit.run(n, (long) m * k, Torch.configuredThreads(), 1, (r0, r1) -> {
            int rc;
            try {
                rc = (int) Q4X8.invokeExact(xq.xq, xq.xs, xq.xc, m, p, s, k, out, n, r0, r1);
            } catch (Throwable e) {
                throw new IllegalStateException("native int4 × int8 kernel failed", e);
            }
            if (rc != 0) throw new IllegalStateException("native int4 × int8 kernel refused [" + n + ", " + k + "]");
        });
    }
}
