package dev.auris.nn;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Auris's native decode kernels ({@code src/main/c/auris_kernels.c}, built by Maven with gcc into
 * {@code native/linux-x86_64/libauris_kernels.so}) called through the FFM API: matrix × few vectors for bf16 × bf16
 * with AVX512-BF16's dot products (else widened floats in AVX2), int8 and int4 × float32 widened in AVX-512 or
 * AVX2, and one new position's attention over a float32 KV cache (a decode step's SDPA without its per-head GEMMs
 * and thread wake-ups). They stream weights at
 * the memory's pace where the Vector API kernels are bound by their conversions (docs/BENCHMARKS.md: int8 29 vs
 * 10 GB/s, bf16 35 vs 24 GB/s on one Zen 5 core). Absent (another OS or CPU, no gcc at build time, or
 * {@code -Dauris.native=false}), callers keep their libtorch or Vector API path.
 *
 * <p>Shapes (row-major, native addresses): x [m, k]; w [n, k]; y [m, n]; scales [n, k/group].
 */
public final class NativeKernels {
    private static final String RESOURCE = "/native/linux-x86_64/libauris_kernels.so";
    private static final int ISA_AVX2 = 1, ISA_AVX512 = 2, ISA_AVX512BF16 = 4, ISA_AVX512VNNI = 8;
    private static final MethodHandle BF16, Q8, Q4, DEQUANT_Q4, ATTEND1;
    private static final int ISA;
    private static final String WHY_NOT;
    private static final SymbolLookup LIBRARY;

    static {
        MethodHandle bf16 = null, q8 = null, q4 = null, dequantQ4 = null, attend1 = null;
        int isa = 0;
        String why = null;
        SymbolLookup lib = null;
        try {
            lib = load();
            Linker linker = Linker.nativeLinker();
            isa = (int) linker.downcallHandle(lib.findOrThrow("auris_isa"), FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact();
            var a = ValueLayout.ADDRESS;
            var i = ValueLayout.JAVA_INT;
            bf16 = linker.downcallHandle(lib.findOrThrow("auris_gemv_bf16"), FunctionDescriptor.of(i, a, i, a, i, a, i, i, i, i));
            q8 = linker.downcallHandle(lib.findOrThrow("auris_gemv_q8"), FunctionDescriptor.of(i, a, i, a, a, i, i, a, i, i, i));
            q4 = linker.downcallHandle(lib.findOrThrow("auris_gemv_q4"), FunctionDescriptor.of(i, a, i, a, a, i, a, i, i, i));
            dequantQ4 = linker.downcallHandle(lib.findOrThrow("auris_dequant_q4"), FunctionDescriptor.of(i, a, a, i, a, i, i, i));
            attend1 = linker.downcallHandle(lib.findOrThrow("auris_attend1"), FunctionDescriptor.of(i, a, i, a, a, i, i, ValueLayout.JAVA_LONG, i, a, a, i, i));
            if ((isa & ISA_AVX2) == 0) why = "the CPU has no AVX2";
        } catch (Throwable e) {
            why = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        BF16 = bf16;
        Q8 = q8;
        Q4 = q4;
        DEQUANT_Q4 = dequantQ4;
        ATTEND1 = attend1;
        ISA = isa;
        WHY_NOT = why;
        LIBRARY = why == null ? lib : null;
    }

    /**
     * A downcall to the library's {@code symbol}, returning int, with arguments by letter ({@code a} address, {@code i}
     * int, {@code l} long, {@code f} float); null unless {@code when} (and the library is loaded): the kernels of other classes.
     */
    static MethodHandle downcall(boolean when, String symbol, String args) {
        if (!when || !available()) return null;
        var layouts = new java.lang.foreign.MemoryLayout[args.length()];
        for (int j = 0; j < layouts.length; j++) {
            layouts[j] = switch (args.charAt(j)) {
                case 'a' -> ValueLayout.ADDRESS;
                case 'i' -> ValueLayout.JAVA_INT;
                case 'l' -> ValueLayout.JAVA_LONG;
                case 'f' -> ValueLayout.JAVA_FLOAT;
                default -> throw new IllegalArgumentException("argument letter " + args.charAt(j));
            };
        }
        return Linker.nativeLinker().downcallHandle(LIBRARY.findOrThrow(symbol), FunctionDescriptor.of(ValueLayout.JAVA_INT, layouts));
    }

    /** The loaded library (null where {@link #available()} is false): for the kernels of other classes. */
    static SymbolLookup library() {
        return LIBRARY;
    }

    /** What an int8 / int4 product over K inputs runs (for {@code --stats}): the VNNI kernels with int8 activations, or {@link #describe()}. */
    public static String describeQuantized(long k) {
        return Int8Activations.takes(k) ? "native AVX512-VNNI, activations int8 per 32-block" : describe();
    }

    /** Whether the CPU has AVX512-BF16's dot products (and the kernels are loaded). */
    static boolean avx512Bf16() {
        return available() && (ISA & ISA_AVX512BF16) != 0;
    }

    /** Whether the CPU has AVX512-VNNI's int8 dot products (and the kernels are loaded). */
    static boolean vnni() {
        return available() && (ISA & ISA_AVX512VNNI) != 0;
    }

    private NativeKernels() {}

    /** Whether the kernels are loaded and the CPU runs them. */
    public static boolean available() {
        return WHY_NOT == null;
    }

    /** What runs ("AVX512-BF16", "AVX-512", "AVX2"), or why nothing does: for {@code --stats}. */
    public static String describe() {
        if (WHY_NOT != null) return "none (" + WHY_NOT + ")";
        return (ISA & ISA_AVX512BF16) != 0 ? "native AVX512-BF16" : (ISA & ISA_AVX512) != 0 ? "native AVX-512" : "native AVX2";
    }

    /** y [m, n] (bf16 when {@code bf16Out}, else float32) = x [m, k] bf16 · w [n, k] bf16 ᵀ, rows split over {@code threads}. */
    static void bf16(MemorySegment x, int m, MemorySegment w, int k, MemorySegment y, int n, boolean bf16Out, int threads) {
        check(m, k, n);
        RowSplit.run(n, (long) m * k, threads, 4, (r0, r1) -> call(BF16, x, m, w, k, y, n, r0, r1, bf16Out ? 1 : 0));
    }

    /** y [m, n] float32 = x [m, k] float32 · (q [n, k] int8 · s [n, k/group])ᵀ; group 32 (k % 32 == 0) or k (k % 64 == 0). */
    static void q8(MemorySegment x, int m, MemorySegment q, MemorySegment s, int group, int k, MemorySegment y, int n, int threads) {
        check(m, k, n);
        if (!(group == 32 && k % 32 == 0 || group == k && k % 64 == 0)) {
            throw new IllegalArgumentException("int8 kernel: group " + group + " does not fit K = " + k);
        }
        RowSplit.run(n, (long) m * k, threads, 1, (r0, r1) -> {
            int rc;
            try {
                rc = (int) Q8.invokeExact(x, m, q, s, group, k, y, n, r0, r1);
            } catch (Throwable e) {
                throw new IllegalStateException("native int8 kernel failed", e);
            }
            if (rc != 0) throw new IllegalStateException("native int8 kernel refused [" + n + ", " + k + "] group " + group);
        });
    }

    /** Rows of x up to which a product streams the weights through these kernels (more: a GEMM's work, libtorch's): the int8 layers' bound. */
    public static final int MAX_ROWS = Weights.Int8.GEMV_ROWS;

    /** Whether {@link #linearBf16} takes this product: bf16 x [..., K] of at most {@link #MAX_ROWS} rows, bf16 W [N, K] contiguous, no autograd. */
    static boolean takesBf16(Tensor x, Tensor w) {
        if (!available() || w.dim() != 2 || x.dim() < 1) return false;
        long k = w.size(1);
        return w.scalar_type().intern() == torch.ScalarType.BFloat16
                && x.scalar_type().intern() == torch.ScalarType.BFloat16
                && x.size(x.dim() - 1) == k && x.numel() / k <= MAX_ROWS && x.numel() > 0
                && w.size(0) <= Integer.MAX_VALUE && k <= Integer.MAX_VALUE
                && w.is_contiguous() && !x.requires_grad() && !w.requires_grad();
    }

    /** x W ᵀ for bf16 x [..., K] and W [N, K] ({@link #takesBf16}): a new bf16 [..., N]. */
    static Tensor linearBf16(Tensor x, Tensor w) {
        int n = (int) w.size(0), k = (int) w.size(1);
        Tensor xc = x.contiguous();
        long[] shape = Torch.shape(x);
        shape[shape.length - 1] = n;
        Tensor y = torch.empty(shape, Torch.options(DType.BF16),
                new MemoryFormatOptional());                           // [..., N]
        bf16(Int8Dequant.segment(xc), (int) (xc.numel() / k), Int8Dequant.segment(w), k, Int8Dequant.segment(y), n, true,
                Torch.configuredThreads());
        return y;
    }

    /** y [m, n] float32 = x [m, k] float32 · W ᵀ, W int4 in 32-blocks: p [n, k/2] (Q4_0's nibble order, + 8), s [n, k/32] float16. */
    static void q4(MemorySegment x, int m, MemorySegment p, MemorySegment s, int k, MemorySegment y, int n, int threads) {
        check(m, k, n);
        if (k % 32 != 0) throw new IllegalArgumentException("int4 kernel: K = " + k + " is no multiple of 32");
        RowSplit.run(n, (long) m * k, threads, 1, (r0, r1) -> {
            int rc;
            try {
                rc = (int) Q4.invokeExact(x, m, p, s, k, y, n, r0, r1);
            } catch (Throwable e) {
                throw new IllegalStateException("native int4 kernel failed", e);
            }
            if (rc != 0) throw new IllegalStateException("native int4 kernel refused [" + n + ", " + k + "]");
        });
    }

    /** out [n, k] (bf16 when {@code bf16Out}, else float32) = the int4 weights p, s dequantized. */
    static void dequantQ4(MemorySegment p, MemorySegment s, int k, MemorySegment out, int n, boolean bf16Out, int threads) {
        check(1, k, n);
        RowSplit.run(n, k, threads, 1, (r0, r1) -> {
            int rc;
            try {
                rc = (int) DEQUANT_Q4.invokeExact(p, s, k, out, r0, r1, bf16Out ? 1 : 0);
            } catch (Throwable e) {
                throw new IllegalStateException("native int4 dequantization failed", e);
            }
            if (rc != 0) throw new IllegalStateException("native int4 dequantization refused K = " + k);
        });
    }

    /**
     * Attention of one new position, one sequence, over a float32 cache (a decode step): q [1, H, 1, hd]; k, v
     * [1, KV, S, hd] views whose positions are contiguous (stride hd) and heads a fixed stride apart (a
     * {@code KvCache} buffer's); no mask (the new position sees every key). Returns [1, H, 1, hd] float32, or
     * null where these shapes do not hold (the caller runs SDPA).
     */
    static Tensor attendOne(Tensor q, Tensor k, Tensor v) {
        var f = torch.ScalarType.Float;
        if (!available() || q.dim() != 4 || k.dim() != 4 || v.dim() != 4 || q.size(0) != 1 || q.size(2) != 1 || k.size(0) != 1 || v.size(0) != 1) return null;
        long h = q.size(1), kv = k.size(1), s = k.size(2), hd = q.size(3);
        if (k.scalar_type().intern() != f || v.scalar_type().intern() != f || kv < 1 || h % kv != 0 || v.size(1) != kv || v.size(2) != s
                || k.size(3) != hd || v.size(3) != hd || k.stride(3) != 1 || v.stride(3) != 1 || k.stride(2) != hd || v.stride(2) != hd
                || k.stride(1) != v.stride(1) || s < 1 || h * s > Integer.MAX_VALUE || q.requires_grad() || k.requires_grad() || v.requires_grad()) {
            return null;
        }
        Tensor qf = q.to(f).contiguous();                                  // [1, H, 1, hd]
        Tensor out = torch.empty(new long[]{1, h, 1, hd},
                Torch.options(DType.F32), new MemoryFormatOptional());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment scores = arena.allocate(4 * h * s, 64);                               // [H, S]
            int rc = (int) ATTEND1.invokeExact(Int8Dequant.segment(qf), (int) h, address(k), address(v), (int) kv, (int) s, k.stride(1), (int) hd,
                    Int8Dequant.segment(out), scores, 0, (int) h);
            if (rc != 0) throw new IllegalStateException("native attention refused H " + h + ", KV " + kv + ", S " + s);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("native attention failed", e);
        }
        return out;
    }

    /** A view's first element (its storage may extend further: a cache's capacity). */
    private static MemorySegment address(Tensor t) {
        return MemorySegment.ofAddress(t.data_ptr().address());
    }

    private static void call(MethodHandle h, MemorySegment x, int m, MemorySegment w, int k, MemorySegment y, int n, int r0, int r1, int flag) {
        int rc;
        try {
            rc = (int) h.invokeExact(x, m, w, k, y, n, r0, r1, flag);
        } catch (Throwable e) {
            throw new IllegalStateException("native bf16 kernel failed", e);
        }
        if (rc != 0) throw new IllegalStateException("native bf16 kernel refused: " + describe());
    }

    private static void check(int m, int k, int n) {
        if (!available()) throw new IllegalStateException("native kernels unavailable: " + WHY_NOT);
        if (m < 1 || k < 1 || n < 1) throw new IllegalArgumentException("kernel shapes must be positive: m " + m + ", k " + k + ", n " + n);
    }

    /** The library from {@code -Dauris.native.lib}, or the jar's (copied to a temporary file: dlopen needs a path). */
    private static SymbolLookup load() throws IOException {
        if ("false".equals(System.getProperty("auris.native"))) throw new IllegalStateException("disabled by -Dauris.native=false");
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT), arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new IllegalStateException("built for linux-x86_64 only, this is " + os + "-" + arch);
        }
        String override = System.getProperty("auris.native.lib");
        if (override != null) return SymbolLookup.libraryLookup(Path.of(override), Arena.global());
        URL url = NativeKernels.class.getResource(RESOURCE);
        if (url == null) throw new IllegalStateException("not built (no gcc when Auris was built)");
        if ("file".equals(url.getProtocol())) {
            try {
                return SymbolLookup.libraryLookup(Path.of(url.toURI()), Arena.global());
            } catch (java.net.URISyntaxException e) {
                throw new IOException(e);
            }
        }
        Path tmp = Files.createTempFile("libauris_kernels", ".so");
        try {
            try (InputStream in = url.openStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            return SymbolLookup.libraryLookup(tmp, Arena.global());
        } finally {
            Files.deleteIfExists(tmp);                                                       // mapped once opened
        }
    }
}
