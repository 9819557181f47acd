package dev.auris.core;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * The libtorch backend in one place: dtypes, device, thread count, and copies between tensors and
 * Java arrays / buffers. Everything else in Auris calls libtorch ops directly on {@link Tensor}s.
 *
 * <p>Native memory is not garbage-collected: tensors created inside a
 * {@code try (var scope = new PointerScope())} block are freed when it closes; a tensor that must outlive
 * the block is {@link #keep kept} (retained by the caller, released with {@code close()}).
 */
public final class Torch {
    private static volatile boolean initialised;
    private static volatile int configuredThreads = 1;

    static {
        // libtorch's OpenMP threads spin-wait after each parallel region (OMP_WAIT_POLICY=ACTIVE by default)
        // while float32 matmuls run on OpenBLAS's own threads: on 2 cores the two pools then fight for the
        // CPU and a small Whisper encoder ran 17x slower (170 ms vs 10 ms). PASSIVE makes idle OpenMP threads
        // sleep. OpenMP reads it when libgomp loads, so it is set before any libtorch class is touched.
        setenvIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        // JavaCPP compares resident memory (/proc/self/statm, read on every native allocation) with a limit unless it
        // is 0: that made each libtorch op 3× dearer (5.4 vs 1.6 µs). Native memory here is freed by scopes. Effective
        // when no JavaCPP pointer was made before this class loaded; the launcher passes it on the command line.
        if (System.getProperty("org.bytedeco.javacpp.maxPhysicalBytes") == null) System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", "0");
    }

    /** setenv(3) through the FFM API (the JDK has no portable setenv); a no-op when already set. */
    private static void setenvIfAbsent(String name, String value) {
        if (System.getenv(name) != null) return;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            var linker = java.lang.foreign.Linker.nativeLinker();
            var setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                    java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.ADDRESS,
                            java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_INT));
            int ignored = (int) setenv.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 0);
        } catch (Throwable t) {
            // best effort: the launcher sets it too
        }
    }

    private Torch() {}

    /** Loads libtorch and applies the thread count ({@code AURIS_THREADS}, default: all cores). */
    public static synchronized void init() {
        if (initialised) return;
        String env = System.getenv("AURIS_THREADS");
        int threads = env != null && !env.isBlank() ? Integer.parseInt(env.trim()) : Runtime.getRuntime().availableProcessors();
        configuredThreads = Math.max(1, threads);
        torch.set_num_threads(configuredThreads);
        // NNPACK serves only batched conv2d (batch >= 16) on CPUs it supports; on the others libtorch prints
        // "Could not initialize NNPACK! Reason: Unsupported hardware." on the first convolution. Off, every
        // CPU takes the same convolution path, and a user sees only Auris's own output.
        torch.globalContext().setUserEnabledNNPACK(false);
        initialised = true;
    }

    public static void setThreads(int n) {
        init();
        configuredThreads = Math.max(1, n);
        torch.set_num_threads(configuredThreads);
    }

    /** The thread count Auris was given ({@code AURIS_THREADS}, {@code --threads}, else the cores), whatever libtorch's is now. */
    public static int configuredThreads() {
        init();
        return configuredThreads;
    }

    public static int threads() {
        init();
        return torch.get_num_threads();
    }

    /** CUDA when present and not disabled ({@code AURIS_DEVICE=cpu}), else CPU. */
    public static Device defaultDevice() {
        init();
        String want = System.getenv("AURIS_DEVICE");
        if (!"cpu".equalsIgnoreCase(want) && torch.cuda_is_available()) return new Device("cuda");
        return new Device("cpu");
    }

    public static ScalarType scalarType(DType t) {
        return switch (t) {
            case F32 -> ScalarType.Float;
            case F16 -> ScalarType.Half;
            case BF16 -> ScalarType.BFloat16;
            case I64 -> ScalarType.Long;
            case I32 -> ScalarType.Int;
            case I8 -> ScalarType.Char;
            case U8 -> ScalarType.Byte;
            case BOOL -> ScalarType.Bool;
        };
    }

    public static DType dtype(ScalarType t) {
        // enums returned by libtorch (Tensor.scalar_type()) are fresh JavaCPP instances with ordinal 0:
        // intern() maps them to the constants, or every dtype would read as Byte
        return switch (t.intern()) {
            case Float -> DType.F32;
            case Half -> DType.F16;
            case BFloat16 -> DType.BF16;
            case Long -> DType.I64;
            case Int -> DType.I32;
            case Char -> DType.I8;
            case Byte -> DType.U8;
            case Bool -> DType.BOOL;
            default -> throw new IllegalArgumentException("unsupported tensor dtype " + t);
        };
    }

    public static TensorOptions options(DType t) {
        return new TensorOptions(scalarType(t));
    }

    public static Tensor empty(DType t, long... shape) {
        init();
        return torch.empty(shape, options(t), new MemoryFormatOptional());
    }

    public static Tensor zeros(DType t, long... shape) {
        init();
        return torch.zeros(shape, options(t));
    }

    /** A new float32 tensor holding a copy of {@code data}. */
    public static Tensor fromFloats(float[] data, long... shape) {
        checkNumel(data.length, shape);
        Tensor t = empty(DType.F32, shape);
        if (data.length > 0) new FloatPointer(t.data_ptr()).put(data);
        return t;
    }

    /** A new int64 tensor holding a copy of {@code data}. */
    public static Tensor fromLongs(long[] data, long... shape) {
        checkNumel(data.length, shape);
        Tensor t = empty(DType.I64, shape);
        if (data.length > 0) new LongPointer(t.data_ptr()).put(data);
        return t;
    }

    public static Tensor fromInts(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return fromLongs(l, ids.length);
    }

    /** A new tensor with a copy of little-endian raw bytes of the given dtype and shape. */
    public static Tensor fromBytes(ByteBuffer bytes, DType dtype, long... shape) {
        long numel = checkNumel(-1, shape);
        if (bytes.remaining() != numel * dtype.bytes()) {
            throw new IllegalArgumentException("buffer of " + bytes.remaining() + " bytes does not hold " + dtype + " " + Arrays.toString(shape));
        }
        Tensor t = empty(dtype, shape);
        if (numel == 0) return t;
        ByteBuffer src = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (src.isDirect()) {
            try (BytePointer p = new BytePointer(src.slice())) { // slice: its byte 0 is src's position
                Pointer.memcpy(t.data_ptr(), p, src.remaining());
            }
        } else {
            new BytePointer(t.data_ptr()).capacity(src.remaining()).asByteBuffer().put(src);
        }
        return t;
    }

    /** The tensor's elements as float32, in row-major order (any dtype, any layout). */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.detach().to(ScalarType.Float).contiguous();
        float[] out = new float[(int) c.numel()];
        if (out.length > 0) new FloatPointer(c.data_ptr()).get(out);
        return out;
    }

    public static long[] toLongs(Tensor t) {
        Tensor c = t.detach().to(ScalarType.Long).contiguous();
        long[] out = new long[(int) c.numel()];
        if (out.length > 0) new LongPointer(c.data_ptr()).get(out);
        return out;
    }

    /** The raw little-endian bytes of a contiguous copy of {@code t}. */
    public static ByteBuffer toBytes(Tensor t) {
        Tensor c = t.detach().contiguous();
        ByteBuffer out = ByteBuffer.allocateDirect((int) c.nbytes()).order(ByteOrder.LITTLE_ENDIAN);
        if (c.nbytes() > 0) {
            out.put(new BytePointer(c.data_ptr()).capacity(c.nbytes()).asByteBuffer());
            out.flip();
        }
        return out;
    }

    public static long[] shape(Tensor t) {
        return t.sizes().vec().get();
    }

    public static Scalar scalar(double v) {
        return new Scalar(v);
    }

    /**
     * Runs {@code body} in its own {@link PointerScope}: every intermediate tensor is freed on return, the
     * result moves to the caller's scope (or, outside any scope, to the garbage collector).
     */
    public static <T extends Pointer> T scoped(Supplier<T> body) {
        T result;
        try (PointerScope scope = new PointerScope()) {
            result = body.get();
            result.retainReference(); // survives the scope's release below
        }
        PointerScope outer = PointerScope.getInnerScope();
        if (outer != null) {
            outer.attach(result);     // the caller's scope now holds it...
            result.releaseReference(); // ...and only it
        }
        return result;
    }

    /** Takes a long-lived tensor (a model weight, a cache) out of the current scope: its owner frees it. */
    public static <T extends Pointer> T own(T t) {
        PointerScope s = PointerScope.getInnerScope();
        if (s != null) {
            t.retainReference();
            s.detach(t);
        }
        return t;
    }

    private static long checkNumel(long have, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        if (have >= 0 && have != n) {
            throw new IllegalArgumentException(have + " values do not fill shape " + Arrays.toString(shape) + " (" + n + " elements)");
        }
        return n;
    }
}
