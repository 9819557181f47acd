package dev.auris.nn;

import dev.auris.core.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The native decode kernels against float32 math in libtorch on the same bf16 / int8 weights, for every row count a
 * decode takes (1–8), shapes with a tail (K not a multiple of 32, N not of 4) and both thread splits. Tolerances:
 * bf16 output 1 bf16 ulp of the output's scale (2⁻⁸ relative; the sums themselves agree to 1e-5); int8 float32
 * output 1e-5 relative (summation order only).
 */
class NativeKernelsTest {
    @BeforeEach
    void kernelsLoaded() {
        // CI builds them (gcc is on every machine of this project's kind); elsewhere the test says why it skips
        Assumptions.assumeTrue(NativeKernels.available(), NativeKernels.describe());
    }

    @ParameterizedTest
    @CsvSource({"1,130,200,1", "1,130,200,2", "3,257,2048,2", "8,64,96,1", "8,515,1000,2", "1,4096,64,2"})
    void bf16MatchesFloatMathOnTheSameWeights(int m, int n, int k, int threads) {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            torch.manual_seed(m * 31L + n);
            Tensor w = torch.randn(n, k).mul(Torch.scalar(0.05)).to(torch.ScalarType.BFloat16);     // [N, K]
            Tensor x = torch.randn(m, k).to(torch.ScalarType.BFloat16);                             // [M, K]
            Tensor want = torch.matmul(x.to(torch.ScalarType.Float), w.to(torch.ScalarType.Float).t()); // [M, N]
            Tensor y32 = torch.empty(m, n);
            NativeKernels.bf16(Int8Dequant.segment(x), m, Int8Dequant.segment(w), k, Int8Dequant.segment(y32), n, false, threads);
            double scale = Torch.toFloats(want.abs().max())[0];
            double sums = Torch.toFloats(y32.sub(want).abs().max())[0];
            assertTrue(sums <= 1e-5 * scale * Math.sqrt(k), "float32 sums differ by " + sums + " (scale " + scale + ")");
            assertTrue(NativeKernels.takesBf16(x, w));
            Tensor y = NativeKernels.linearBf16(x, w);
            assertEquals(torch.ScalarType.BFloat16, y.scalar_type().intern());
            double bf = Torch.toFloats(y.to(torch.ScalarType.Float).sub(want).abs().max())[0];
            assertTrue(bf <= scale / 256, "bf16 output differs by " + bf + " (scale " + scale + ")");
        }
    }

    @ParameterizedTest
    @CsvSource({"1,130,256,32,1", "2,130,256,32,2", "8,77,128,128,2", "1,1000,2048,32,2", "5,66,192,192,1"})
    void int8MatchesFloatMathOnTheDequantizedWeights(int m, int n, int k, int group, int threads) {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            torch.manual_seed(n * 7L + k);
            var q = Weights.Int8.quantize(torch.randn(n, k), group, torch.ScalarType.Float);
            Tensor x = torch.randn(m, k);                                                           // [M, K]
            Tensor want = torch.matmul(x, q.dequantize(torch.ScalarType.Float).t());               // [M, N]
            Tensor y = torch.empty(m, n);
            NativeKernels.q8(Int8Dequant.segment(x), m, Int8Dequant.segment(q.q()), Int8Dequant.segment(q.scales()), group, k,
                    Int8Dequant.segment(y), n, threads);
            double scale = Torch.toFloats(want.abs().max())[0];
            double d = Torch.toFloats(y.sub(want).abs().max())[0];
            assertTrue(d <= 1e-5 * scale * Math.sqrt(k / 32.0), "int8 kernel differs by " + d + " (scale " + scale + ")");
            Tensor viaWeights = q.apply(x);                                                        // the path decode takes
            Tensor layerWant = Int8Activations.takes(k)                                            // int8 activations where VNNI runs
                    ? torch.matmul(dev.auris.testing.Q8Activations.dequantized(x), q.dequantize(torch.ScalarType.Float).t()) : want;
            assertTrue(Torch.toFloats(viaWeights.sub(layerWant).abs().max())[0] <= 1e-5 * scale * Math.sqrt(k / 32.0));
        }
    }

    @ParameterizedTest
    @CsvSource({"9", "0"})
    void theDenseLayerKeepsLibtorchOutsideTheKernelsShapes(int rows) {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            Tensor w = torch.randn(16, 64).to(torch.ScalarType.BFloat16);
            Tensor x = torch.randn(rows, 64).to(torch.ScalarType.BFloat16);
            assertFalse(NativeKernels.takesBf16(x, w), rows + " rows");
            assertFalse(NativeKernels.takesBf16(torch.randn(1, 64).to(torch.ScalarType.BFloat16), w.t().contiguous().t()), "a strided W");
            assertFalse(NativeKernels.takesBf16(torch.randn(1, 64), w), "float32 x");
            assertEquals(rows, new Weights.Dense(w).apply(x).size(0));
        }
    }

    /** int4 in Q4_0 blocks: the kernel and the prefill's unpacking against float32 math on the dequantized weights, which equal llama.cpp's Q4_0 rule. */
    @ParameterizedTest
    @CsvSource({"1,130,256,1", "3,257,2048,2", "8,64,96,2", "12,70,64,2"})
    void int4MatchesFloatMathOnItsDequantizedWeights(int m, int n, int k, int threads) {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            torch.manual_seed(n * 11L + k);
            Tensor w = torch.randn(n, k);
            var q = Weights.Int4.quantize(w, torch.ScalarType.Float);
            assertEquals(n * (long) k / 2, q.packed().nbytes());
            assertEquals(n * (long) k / 16, q.scales().nbytes(), "a float16 scale a block, as Q4_0's");
            assertEquals(n * (long) k / 32 * 18, q.bytes(), "18 bytes a block of 32, as llama.cpp's Q4_0 streams");
            Tensor dq = q.dequantize(torch.ScalarType.Float);                                      // [N, K]
            float[] want = dev.auris.io.GgmlDequant.toFloats(dev.auris.io.GgmlType.Q4_0,
                    java.lang.foreign.MemorySegment.ofArray(dev.auris.io.GgmlQuant.quantize(dev.auris.io.GgmlType.Q4_0, Torch.toFloats(w))), n * k);
            assertArrayEquals(want, Torch.toFloats(dq), "unpacked int4 = ggml's Q4_0 dequantization");
            Tensor x = torch.randn(m, k);
            Tensor ref = torch.matmul(x, dq.t());                                                  // [M, N]
            double scale = Torch.toFloats(ref.abs().max())[0];
            if (m <= Weights.Int8.GEMV_ROWS) {                                                     // the float32-activation kernel itself
                Tensor yf = torch.empty(m, n);
                NativeKernels.q4(Int8Dequant.segment(x), m, Int8Dequant.segment(q.packed()), Int8Dequant.segment(q.scales()), k, Int8Dequant.segment(yf), n, threads);
                double d = Torch.toFloats(yf.sub(ref).abs().max())[0];
                assertTrue(d <= 1e-5 * scale * Math.sqrt(k / 32.0), "int4 kernel differs by " + d + " (scale " + scale + ")");
            }
            Tensor y = q.apply(x);                                                                 // a kernel (m ≤ 8) or the GEMM on unpacked weights
            Tensor layerRef = m <= Weights.Int8.GEMV_ROWS && Int8Activations.takes(k)              // int8 activations where VNNI runs
                    ? torch.matmul(dev.auris.testing.Q8Activations.dequantized(x), dq.t()) : ref;
            double d = Torch.toFloats(y.sub(layerRef).abs().max())[0];
            assertTrue(d <= 1e-5 * scale * Math.sqrt(k / 32.0), "int4 product differs by " + d + " (scale " + scale + ")");
            double moved = Torch.toFloats(y.sub(torch.matmul(x, w.t())).abs().max())[0];
            assertTrue(moved < 0.2 * scale, "4-bit quantization moved outputs by " + moved + " of " + scale);
        }
    }

    /** Scales are float16 wherever they come from: exact for float16 values (subnormal, negative and zero ones too), rounded otherwise. */
    @org.junit.jupiter.api.Test
    void int4ScalesAreFloat16() {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            float[] d = {3.0f, -0.5f, Float.float16ToFloat((short) 0x0003), 0f, 0.1f};    // 0x0003: a float16 subnormal; 0.1: no float16
            int n = d.length, k = 64;
            byte[] q = new byte[n * k];
            for (int i = 0; i < q.length; i++) q[i] = (byte) (i % 16 - 8);
            float[] scales = new float[n * 2];
            for (int r = 0; r < n; r++) scales[2 * r] = scales[2 * r + 1] = d[r];
            var w = Weights.Int4.pack(q, scales, n, k, torch.ScalarType.Float);
            float[] got = Torch.toFloats(w.dequantize(torch.ScalarType.Float)), want = new float[n * k];
            for (int i = 0; i < want.length; i++) want[i] = q[i] * Float.float16ToFloat(Float.floatToFloat16(d[i / k]));
            assertArrayEquals(want, got);
            assertNotEquals(0.1f, Float.float16ToFloat(Float.floatToFloat16(0.1f)), "0.1 was rounded to a float16");
            Tensor x = torch.randn(1, k), ref = torch.matmul(x, Torch.fromFloats(want, n, k).t());
            Tensor y = torch.empty(1, n);
            NativeKernels.q4(Int8Dequant.segment(x), 1, Int8Dequant.segment(w.packed()), Int8Dequant.segment(w.scales()), k, Int8Dequant.segment(y), n, 1);
            assertTrue(Torch.toFloats(y.sub(ref).abs().max())[0] <= 1e-5 * Torch.toFloats(ref.abs().max())[0]);
        }
    }

    @org.junit.jupiter.api.Test
    void int4RejectsValuesOutsideFourBitsAndRaggedShapes() {
        byte[] q = new byte[64];
        q[5] = 8;
        var e = assertThrows(IllegalArgumentException.class, () -> Weights.Int4.pack(q, new float[2], 2, 32, torch.ScalarType.Float));
        assertTrue(e.getMessage().contains("[-8, 7]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Weights.Int4.pack(new byte[40], new float[1], 1, 40, torch.ScalarType.Float));
    }

    /** One decode position over a cache view (capacity beyond the length, grouped-query heads) against libtorch's SDPA, 1e-5: the AVX-512 kernel (head_dim % 16 == 0, the vectorised exp) and the portable one (head_dim 40). */
    @ParameterizedTest
    @CsvSource({"32,8,37,64", "4,4,1,16", "6,2,300,80", "4,1,650,128", "8,2,700,40"})
    void oneNewPositionAttendsLikeSdpa(int h, int kv, int s, int hd) {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            torch.manual_seed(h * 100L + s);
            Tensor kb = torch.randn(1, kv, s + 29, hd), vb = torch.randn(1, kv, s + 29, hd);             // a cache's buffers: capacity > length
            Tensor k = kb.narrow(2, 0, s), v = vb.narrow(2, 0, s);                                      // [1, KV, S, hd]
            Tensor q = torch.randn(1, 1, h, hd).transpose(1, 2);                                       // [1, H, 1, hd], strided as a step's
            Tensor want = torch.scaled_dot_product_attention(q, k, v, new org.bytedeco.pytorch.TensorOptional(), 0.0, false,
                    new org.bytedeco.pytorch.DoubleOptional(), h != kv);
            Tensor got = NativeKernels.attendOne(q, k, v);
            assertNotNull(got);
            double d = Torch.toFloats(got.sub(want).abs().max())[0];
            assertTrue(d < 1e-5, "attention differs by " + d);
            assertNull(NativeKernels.attendOne(q, kb.narrow(2, 0, s).transpose(2, 3).transpose(2, 3).to(torch.ScalarType.BFloat16), v), "bf16 keys: SDPA's");
            assertNull(NativeKernels.attendOne(torch.randn(1, h, 2, hd), k, v), "two positions: SDPA's");
        }
    }
}
