package dev.auris.nn;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

/**
 * Int8 weights → bf16 in one pass, for a prefill's GEMM: {@code w[n, k] = bf16(q[n, k] · s[n, k / G])}, the
 * product in float32 and rounded to nearest-even once, bit for bit what libtorch's
 * {@code (q.float() · s).to(bf16)} gives. libtorch's four-op chain took ≈ 35 ns a weight on one thread
 * (0.4 s for a 5632 × 2048 matrix, 38 s for a 1.1B model per prefill); this streams each weight once.
 * Rows are split over the threads (parallel stream).
 *
 * <p>Shapes: q [N, K] int8 row-major; s [N, K/G] float32 (G = 32, or K for a scale a row); out [N, K] bf16.
 */
final class Int8Dequant {
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private Int8Dequant() {}

    /**
     * One bf16 buffer per thread, grown to the largest matrix unpacked on it and reused: a fresh tensor for every
     * matrix of every prefill cost more in page faults than the unpacking (72 ms vs 1.5 ms for 5632 × 2048 here).
     * It holds the largest matrix's bf16 bytes for the thread's life (the LM head of a 1.1B model: 131 MB).
     */
    private static final ThreadLocal<Tensor[]> SCRATCH = ThreadLocal.withInitial(() -> new Tensor[1]);

    /** {@code w}'s weights as bf16 [N, K] in this thread's scratch buffer: valid until the thread's next call. */
    static Tensor scratch(Weights.Int8 w) {
        long n = w.q().size(0), k = w.q().size(1);
        Tensor out = scratch(n, k);                                                           // [N, K]
        toBf16(segment(w.q()), segment(w.scales()), w.group(), segment(out), (int) n, (int) k, torch.get_num_threads());
        return out;
    }

    /** This thread's bf16 scratch as [N, K] (contents undefined): valid until the thread's next call. */
    static Tensor scratch(long n, long k) {
        Tensor[] slot = SCRATCH.get();
        if (slot[0] == null || slot[0].numel() < n * k) {
            if (slot[0] != null) slot[0].close();
            slot[0] = Torch.own(torch.empty(new long[]{n * k}, Torch.options(DType.BF16), new MemoryFormatOptional()));
        }
        return slot[0].narrow(0, 0, n * k).view(n, k);
    }

    static MemorySegment segment(Tensor t) {
        return MemorySegment.ofAddress(t.data_ptr().address()).reinterpret(t.nbytes());
    }

    /** Writes bf16 bits of q · s into {@code out} (2 · N · K bytes). */
    static void toBf16(MemorySegment q, MemorySegment s, int group, MemorySegment out, int n, int k, int threads) {
        int parts = Math.max(1, Math.min(threads, n / 64));
        if (parts == 1) {
            rows(q, s, group, out, k, 0, n);
            return;
        }
        IntStream.range(0, parts).parallel().forEach(t -> rows(q, s, group, out, k, (int) ((long) n * t / parts), (int) ((long) n * (t + 1) / parts)));
    }

    private static void rows(MemorySegment q, MemorySegment s, int group, MemorySegment out, int k, int n0, int n1) {
        int groups = k / group;
        for (int r = n0; r < n1; r++) {
            long base = (long) r * k;
            int j = 0;
            for (; j + 16 <= k; j += 16) {
                float scale = s.getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * groups + j / group);
                FloatVector v = ((FloatVector) ByteVector.fromMemorySegment(B16, q, base + j, LE).convertShape(VectorOperators.B2F, F16, 0))
                        .mul(scale);
                IntVector bits = v.reinterpretAsInts();
                IntVector rounded = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF).lanewise(VectorOperators.LSHR, 16);
                ((ShortVector) rounded.convertShape(VectorOperators.I2S, S16, 0)).intoMemorySegment(out, 2 * (base + j), LE);
            }
            for (; j < k; j++) {                                                       // a row's tail (k not a multiple of 16)
                float v = q.get(ValueLayout.JAVA_BYTE, base + j) * s.getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * groups + j / group);
                out.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * (base + j), bf16(v));
            }
        }
    }

    /** Round-to-nearest-even bf16 bits of a finite float. */
    static short bf16(float v) {
        int b = Float.floatToRawIntBits(v);
        return (short) ((b + ((b >>> 16) & 1) + 0x7FFF) >>> 16);
    }
}
