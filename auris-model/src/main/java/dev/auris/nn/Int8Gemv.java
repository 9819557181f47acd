package dev.auris.nn;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Weight-only int8 matrix × a few vectors on the CPU, in Java's Vector API: {@code y[m, n] = Σ_g s[n, g] ·
 * Σ_{k ∈ g} q[n, k] · x[m, k]}, the weights read once from memory, the activations float32 (so the result
 * equals float32 math on the dequantized weights up to summation order). Decode is bound by the bytes of
 * weights streamed: one byte per weight instead of four (f32) or two (bf16) is its whole point.
 *
 * <p>Why Java and not libtorch: this libtorch build exposes no weight-only int8 kernel
 * ({@code _weight_int8pack_mm} / {@code _weight_int4pack_mm_for_cpu} are not in the JavaCPP presets) and
 * fbgemm's dynamic-int8 linear quantizes weights per tensor and activations too, and measured slower at
 * M = 1 (docs/BENCHMARKS.md). Rows are split over {@link #threads} threads (the calling thread does the
 * first share).
 *
 * <p>Shapes: q [N, K] int8 row-major; s [N, K/G] float32 (G = group: 32 for GGUF Q8_0 / Q4_0 blocks, K
 * for one scale a row); x [M, K]; y [M, N].
 */
final class Int8Gemv {
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;    // 16 int8 → 16 float lanes
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static volatile ExecutorService pool;
    private static volatile int poolThreads;

    private Int8Gemv() {}

    /** Whether the CPU runs 512-bit float vectors natively (the kernel's shape); else callers dequantize instead. */
    static boolean supported() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    }

    /** y [M, N] (float32, written) from x [M, K], q [N, K], s [N, K/group]. */
    static void multiply(float[] x, int m, MemorySegment q, MemorySegment s, int group, float[] y, int n, int k, int threads) {
        int parts = Math.max(1, Math.min(threads, n / 64));
        if (parts == 1) {
            rows(x, m, q, s, group, y, n, k, 0, n);
            return;
        }
        ExecutorService p = pool(parts - 1);
        CountDownLatch done = new CountDownLatch(parts - 1);
        RuntimeException[] failure = new RuntimeException[1];
        for (int t = 1; t < parts; t++) {
            int n0 = (int) ((long) n * t / parts), n1 = (int) ((long) n * (t + 1) / parts);
            p.execute(() -> {
                try {
                    rows(x, m, q, s, group, y, n, k, n0, n1);
                } catch (RuntimeException e) {
                    failure[0] = e;
                } finally {
                    done.countDown();
                }
            });
        }
        rows(x, m, q, s, group, y, n, k, 0, n / parts);
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during an int8 matrix product", e);
        }
        if (failure[0] != null) throw failure[0];
    }

    private static void rows(float[] x, int m, MemorySegment q, MemorySegment s, int group, float[] y, int n, int k, int n0, int n1) {
        int groups = k / group;
        for (int r = n0; r < n1; r++) {
            long base = (long) r * k;
            for (int i = 0; i < m; i++) {
                float v = group == k
                        ? dotRow(x, i * k, q, base, k) * s.getAtIndex(ValueLayout.JAVA_FLOAT, r)
                        : dotBlocks(x, i * k, q, base, s, (long) r * groups, groups);
                y[i * n + r] = v;
            }
        }
    }

    /** Σ q[base + j] · x[xo + j] over a whole row, four independent accumulators (k a multiple of 64). */
    private static float dotRow(float[] x, int xo, MemorySegment q, long base, int k) {
        FloatVector a0 = FloatVector.zero(F16), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < k; j += 64) {
            a0 = widen(q, base + j).fma(FloatVector.fromArray(F16, x, xo + j), a0);
            a1 = widen(q, base + j + 16).fma(FloatVector.fromArray(F16, x, xo + j + 16), a1);
            a2 = widen(q, base + j + 32).fma(FloatVector.fromArray(F16, x, xo + j + 32), a2);
            a3 = widen(q, base + j + 48).fma(FloatVector.fromArray(F16, x, xo + j + 48), a3);
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }

    /** Σ_g s[so + g] · Σ_{32 of block g} q · x: GGUF's 32-weight blocks, two blocks in flight. */
    private static float dotBlocks(float[] x, int xo, MemorySegment q, long base, MemorySegment s, long so, int groups) {
        FloatVector e = FloatVector.zero(F16), o = e;
        int g = 0;
        for (; g + 1 < groups; g += 2) {
            int j = g * 32;
            FloatVector b0 = widen(q, base + j).mul(FloatVector.fromArray(F16, x, xo + j));
            b0 = widen(q, base + j + 16).fma(FloatVector.fromArray(F16, x, xo + j + 16), b0);
            FloatVector b1 = widen(q, base + j + 32).mul(FloatVector.fromArray(F16, x, xo + j + 32));
            b1 = widen(q, base + j + 48).fma(FloatVector.fromArray(F16, x, xo + j + 48), b1);
            e = b0.fma(FloatVector.broadcast(F16, s.getAtIndex(ValueLayout.JAVA_FLOAT, so + g)), e);
            o = b1.fma(FloatVector.broadcast(F16, s.getAtIndex(ValueLayout.JAVA_FLOAT, so + g + 1)), o);
        }
        if (g < groups) {
            int j = g * 32;
            FloatVector b0 = widen(q, base + j).mul(FloatVector.fromArray(F16, x, xo + j));
            b0 = widen(q, base + j + 16).fma(FloatVector.fromArray(F16, x, xo + j + 16), b0);
            e = b0.fma(FloatVector.broadcast(F16, s.getAtIndex(ValueLayout.JAVA_FLOAT, so + g)), e);
        }
        return e.add(o).reduceLanes(VectorOperators.ADD);
    }

    /** 16 int8 at {@code offset} → 16 float lanes. */
    private static FloatVector widen(MemorySegment q, long offset) {
        return (FloatVector) ByteVector.fromMemorySegment(B16, q, offset, LE).convertShape(VectorOperators.B2F, F16, 0);
    }

    /** Daemon workers (the calling thread is the other one), recreated when the thread count changes. */
    private static ExecutorService pool(int workers) {
        ExecutorService p = pool;
        if (p != null && poolThreads == workers) return p;
        synchronized (Int8Gemv.class) {
            if (pool != null && poolThreads == workers) return pool;
            if (pool != null) pool.shutdown();
            pool = Executors.newFixedThreadPool(workers, r -> {
                Thread t = new Thread(r, "auris-int8");
                t.setDaemon(true);
                return t;
            });
            poolThreads = workers;
            return pool;
        }
    }
}
