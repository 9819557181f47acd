package dev.auris.nn;

import dev.auris.core.Torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A decode step's products outside libtorch: a few rows' x [M, K] float32 at a native address times a linear layer's
 * weights into y [M, N] float32, by the kernels {@link Weights#apply} runs for a few rows (int8 or int4 × int8
 * activations with AVX512-VNNI, else × float32; bf16 × bf16; float32 × float32), W's rows split over the cores,
 * without a tensor around either side. An {@link Input} is quantized to int8 blocks or rounded to bf16 once, however many products read it
 * (q, k and v; gate and up).
 *
 * <p>Shapes: x [M, K] (M ≤ 8: one sequence, or a beam's hypotheses); W [N, K]; bias [N] float32; y [M, N] float32.
 */
public final class DecodeProducts {
    private DecodeProducts() {}

    /** Whether {@link #apply} takes this layer: int8 / int4 weights the native kernels read, or contiguous bf16 / float32 ones; no adapter, no autograd. */
    public static boolean takes(Linear l) {
        if (!NativeKernels.available() || !DecodeGlue.available() || l.lora() != null || l.inFeatures() > Integer.MAX_VALUE || l.outFeatures() > Integer.MAX_VALUE) return false;
        long k = l.inFeatures();
        return switch (l.weights()) {
            case Weights.Dense(var w) -> w.dim() == 2 && (w.scalar_type().intern() == ScalarType.BFloat16 || w.scalar_type().intern() == ScalarType.Float)
                    && w.is_contiguous() && !w.requires_grad();
            case Weights.Int8 q -> q.group() == 32 && k % 32 == 0 || q.group() == k && k % 64 == 0;
            case Weights.Int4 q -> k % 32 == 0;
            case Weights.Fbgemm8 q -> false;
            case Weights.Fp16 h -> false;
        };
    }

    /**
     * One position's activations x [K] float32 (a native address the row-split's threads may read: not a confined
     * segment), with its int8 quantization or bf16 rounding made in {@code arena} when a product first asks for it.
     */
    public static final class Input {
        private final MemorySegment x;
        private final int m, k;
        private final Arena arena;
        private Int8Activations.Quantized quantized;
        private MemorySegment bf16;

        /** x [m, k] float32, m ≤ {@link NativeKernels#MAX_ROWS}. */
        public Input(MemorySegment x, int m, int k, Arena arena) {
            if (m < 1 || m > NativeKernels.MAX_ROWS) throw new IllegalArgumentException("a decode product takes 1 to " + NativeKernels.MAX_ROWS + " rows, got " + m);
            this.x = MemorySegment.ofAddress(x.address());
            this.m = m;
            this.k = k;
            this.arena = arena;
        }

        Int8Activations.Quantized quantized() {
            if (quantized == null) quantized = Int8Activations.Quantized.of(x, m, k, arena);
            return quantized;
        }

        MemorySegment bf16() {
            if (bf16 == null) {
                MemorySegment b = arena.allocate(2L * m * k, 64);
                DecodeGlue.toBf16(x, b, m * k);
                bf16 = MemorySegment.ofAddress(b.address());
            }
            return bf16;
        }
    }

    /** y [M, N] float32 = x Wᵀ (+ bias [N] float32 on each row unless it is {@link MemorySegment#NULL}) for a layer {@link #takes} takes. */
    public static void apply(Linear l, Input x, MemorySegment y, MemorySegment bias) {
        int k = (int) l.inFeatures(), n = (int) l.outFeatures(), threads = Torch.configuredThreads();
        if (x.k != k) throw new IllegalArgumentException("a product over " + k + " inputs got " + x.k);
        MemorySegment out = MemorySegment.ofAddress(y.address());
        switch (l.weights()) {
            case Weights.Dense(var w) when w.scalar_type().intern() == ScalarType.Float -> DecodeGlue.gemvF32(x.x, x.m, Int8Dequant.segment(w), k, out, n, threads);
            case Weights.Dense(var w) -> NativeKernels.bf16(x.bf16(), x.m, Int8Dequant.segment(w), k, out, n, false, threads);
            case Weights.Int8 q when Int8Activations.takes(k) -> Int8Activations.q8(x.quantized(), q, out);
            case Weights.Int8 q -> NativeKernels.q8(x.x, x.m, Int8Dequant.segment(q.q()), Int8Dequant.segment(q.scales()), q.group(), k, out, n, threads);
            case Weights.Int4 q when Int8Activations.takes(k) -> Int8Activations.q4(x.quantized(), Int8Dequant.segment(q.packed()), Int8Dequant.segment(q.scales()), n, out);
            case Weights.Int4 q -> NativeKernels.q4(x.x, x.m, Int8Dequant.segment(q.packed()), Int8Dequant.segment(q.scales()), k, out, n, threads);
            case Weights.Fbgemm8 q -> throw new IllegalArgumentException("fbgemm's int8 layers run through libtorch");
            case Weights.Fp16 h -> throw new IllegalArgumentException("fbgemm's fp16 layers run through libtorch");
        }
        if (!MemorySegment.NULL.equals(bias)) {
            for (int i = 0; i < x.m; i++) DecodeGlue.add(MemorySegment.ofAddress(out.address() + 4L * i * n), bias, n);
        }
    }
}
