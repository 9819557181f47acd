package dev.auris.nn;

import dev.auris.core.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The VNNI kernels with int8 activations against float64 math on both operands dequantized: the weights as stored,
 * x as llama.cpp's quantize_row_q8_0 rounds it ({@link dev.auris.testing.Q8Activations}, re-done in Java). Integer products are exact, so the only difference is float32 scaling and summation: 1e-5 of the
 * output's scale × √K. Against float32 activations the rounding of x costs more (stated below: ≤ 1 % of the scale on
 * Gaussian data), the price llama.cpp's Q8_0 / Q4_0 pay too.
 */
class Int8ActivationsTest {
    @BeforeEach
    void vnni() {
        Assumptions.assumeTrue(NativeKernels.vnni(), "no AVX512-VNNI here: " + NativeKernels.describe());
        Assumptions.assumeTrue(Int8Activations.takes(64), "switched off by -Dauris.activations=f32");
    }

    static Tensor dequantizedActivations(Tensor x) {
        return dev.auris.testing.Q8Activations.dequantized(x).to(torch.ScalarType.Double);
    }

    static void close(Tensor y, Tensor want, int k, String what) {
        double scale = Torch.toFloats(want.abs().max().to(torch.ScalarType.Float))[0];
        double err = Torch.toFloats(y.to(torch.ScalarType.Double).sub(want).abs().max().to(torch.ScalarType.Float))[0];
        assertTrue(err <= 1e-5 * scale * Math.sqrt(k), what + " differs by " + err + " (scale " + scale + ")");
    }

    @ParameterizedTest
    @CsvSource({"1,130,256,32", "2,130,256,32", "8,77,128,128", "1,1000,2048,32", "3,66,192,192", "1,40,64,32", "4,33,5632,32"})
    void int8TimesInt8MatchesMathOnTheQuantizedOperands(int m, int n, int k, int group) {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            torch.manual_seed(n * 7L + k);
            var q = Weights.Int8.quantize(torch.randn(n, k), group, torch.ScalarType.Float);
            Tensor x = torch.randn(m, k);                                                           // [M, K]
            Tensor want = torch.matmul(dequantizedActivations(x), q.dequantize(torch.ScalarType.Float).to(torch.ScalarType.Double).t()); // [M, N]
            Tensor y = q.apply(x);                                                                  // through the layer: VNNI taken
            close(y, want, k, "int8 × int8");
            Tensor exact = torch.matmul(x, q.dequantize(torch.ScalarType.Float).t());
            double scale = Torch.toFloats(exact.abs().max())[0], off = Torch.toFloats(y.sub(exact).abs().max())[0];
            assertTrue(off <= 0.01 * scale, "x's rounding moved the output by " + off + " of " + scale);
        }
    }

    @ParameterizedTest
    @CsvSource({"1,130,256", "2,131,512", "8,64,2048", "1,7,64", "2,33,192", "1,9,320", "3,50,5632"})
    void int4TimesInt8MatchesMathOnTheQuantizedOperands(int m, int n, int k) {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            torch.manual_seed(m * 13L + n);
            var q = Weights.Int4.quantize(torch.randn(n, k), torch.ScalarType.Float);
            Tensor x = torch.randn(m, k).mul(Torch.scalar(3));                                      // [M, K]
            Tensor want = torch.matmul(dequantizedActivations(x), q.dequantize(torch.ScalarType.Float).to(torch.ScalarType.Double).t());
            Tensor y = q.apply(x);
            close(y, want, k, "int4 × int8");
        }
    }

    @Test
    void zeroBlocksAndExtremesQuantizeWithoutNaN() {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            var q = Weights.Int8.quantize(torch.randn(16, 128), 32, torch.ScalarType.Float);
            Tensor x = torch.zeros(2, 128);
            x.narrow(1, 64, 32).fill_(Torch.scalar(1e30));                                          // one huge block, the rest zero
            x.select(0, 1).narrow(0, 96, 1).fill_(Torch.scalar(-3e-38));                            // a subnormal-scale block
            Tensor y = q.apply(x);
            assertTrue(Torch.toFloats(torch.isfinite(y).all().to(torch.ScalarType.Float))[0] == 1f, "finite outputs");
            Tensor bad = torch.zeros(1, 128);
            bad.narrow(1, 5, 1).fill_(Torch.scalar(Double.NaN));
            assertTrue(Torch.toFloats(torch.isnan(q.apply(bad)).all().to(torch.ScalarType.Float))[0] == 1f, "a NaN input is a NaN output, as in float math");
            close(y, torch.matmul(dequantizedActivations(x), q.dequantize(torch.ScalarType.Float).to(torch.ScalarType.Double).t()), 128, "extremes");
        }
    }

    @Test
    void raggedWidthsStayOnTheFloatKernels() {
        assertFalse(Int8Activations.takes(96));                                                     // K % 64 != 0: float32 activations
        assertFalse(Int8Activations.takes(0));
        assertTrue(Int8Activations.takes(2048));
    }
}
