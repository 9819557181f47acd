package dev.auris.nn;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The elementwise work of a decode step between its products, on one position's float32 vectors at native addresses
 * ({@code auris_kernels.c}, "a decode step's elementwise work"): a residual add and RMSNorm in one call, RoPE in place,
 * SwiGLU's silu · up, bias adds, the cast of a bf16 product's input, and attention over a float32 KV cache split by
 * heads over the cores. Each call stands for several libtorch ops, whose dispatch, allocation and JavaCPP wrapping
 * (≈ 5 µs each, ≈ 45 a layer) were a quarter of an int8 decode step (docs/BENCHMARKS.md).
 *
 * <p>Callers check the shapes (this class trusts its arguments' sizes: the native code reads what they say).
 */
public final class DecodeGlue {
    private static final boolean ON = NativeKernels.available();
    private static final MethodHandle ADD_RMSNORM = NativeKernels.downcall(ON, "auris_add_rmsnorm", "aaiiafa"),
            ROPE = NativeKernels.downcall(ON, "auris_rope", "aiiaa"),
            SILU_MUL = NativeKernels.downcall(ON, "auris_silu_mul", "aaai"),
            ADD = NativeKernels.downcall(ON, "auris_add", "aai"),
            TO_BF16 = NativeKernels.downcall(ON, "auris_to_bf16", "aai"),
            ATTEND1 = NativeKernels.downcall(ON, "auris_attend1", "aiaaiiliaaii"),
            GEMV_F32 = NativeKernels.downcall(ON, "auris_gemv_f32", "aiaiaiii");

    private DecodeGlue() {}

    /** Whether the native glue is loaded (where {@link NativeKernels#available()} is). */
    public static boolean available() {
        return ADD_RMSNORM != null;
    }

    /** A contiguous tensor's bytes (from its first element) as a segment. */
    public static MemorySegment segment(org.bytedeco.pytorch.Tensor t) {
        if (!t.is_contiguous()) throw new IllegalArgumentException("a native decode call needs a contiguous tensor");
        return Int8Dequant.segment(t);
    }

    /** h [rows, d] += delta (skipped when delta is {@link MemorySegment#NULL}), then out [rows, d] = RMSNorm(h) · w [d]; out may be h. */
    public static void addRmsNorm(MemorySegment h, MemorySegment delta, int rows, int d, MemorySegment w, float eps, MemorySegment out) {
        check(invoke(() -> (int) ADD_RMSNORM.invokeExact(h, delta, rows, d, w, eps, out)), "rmsnorm");
    }

    /** x [heads, hd] rotated in place by the position's cos, sin [hd / 2] (HF's rotate_half pairing). */
    public static void rope(MemorySegment x, int heads, int hd, MemorySegment cos, MemorySegment sin) {
        check(invoke(() -> (int) ROPE.invokeExact(x, heads, hd, cos, sin)), "rope");
    }

    /** out [n] = silu(g) · u. */
    public static void siluMul(MemorySegment g, MemorySegment u, MemorySegment out, int n) {
        check(invoke(() -> (int) SILU_MUL.invokeExact(g, u, out, n)), "silu");
    }

    /** y [n] += x. */
    public static void add(MemorySegment y, MemorySegment x, int n) {
        check(invoke(() -> (int) ADD.invokeExact(y, x, n)), "add");
    }

    /** y [n] bf16 = x [n] float32, rounded to nearest even. */
    public static void toBf16(MemorySegment x, MemorySegment y, int n) {
        check(invoke(() -> (int) TO_BF16.invokeExact(x, y, n)), "bf16 cast");
    }

    /**
     * out [h, hd] = softmax(q kᵀ / √hd) v of one position q [h, hd] over s cached positions: k, v [kv, capacity, hd]
     * float32, heads {@code kvStride} floats apart; query head i reads kv head i / (h / kv). Heads are split over
     * {@code threads}; scores [h, s] float32 is scratch.
     */
    public static void attend(MemorySegment q, int h, MemorySegment k, MemorySegment v, int kv, int s, long kvStride, int hd, MemorySegment out,
                              MemorySegment scores, int threads) {
        RowSplit.run(h, 2L * s * hd, s < 256 ? 1 : threads, 1, (h0, h1) -> {                     // short contexts: one core's work, not worth a hand-off
            MemorySegment sc = MemorySegment.ofAddress(scores.address() + 4L * h0 * s);
            check(invoke(() -> (int) ATTEND1.invokeExact(q, h, k, v, kv, s, kvStride, hd, out, sc, h0, h1)), "attention");
        });
    }

    /** y [m, n] = x [m, k] · w [n, k]ᵀ, all float32 (a float32 model's products), rows of w split over {@code threads}. */
    static void gemvF32(MemorySegment x, int m, MemorySegment w, int k, MemorySegment y, int n, int threads) {
        RowSplit.run(n, (long) m * k, threads, 1, (r0, r1) -> check(invoke(() -> (int) GEMV_F32.invokeExact(x, m, w, k, y, n, r0, r1)), "float32 product"));
    }

    private interface Call {
        int run() throws Throwable;
    }

    private static int invoke(Call c) {
        try {
            return c.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("native decode glue failed", e);
        }
    }

    private static void check(int rc, String what) {
        if (rc != 0) throw new IllegalStateException("native decode " + what + " refused its arguments");
    }
}
