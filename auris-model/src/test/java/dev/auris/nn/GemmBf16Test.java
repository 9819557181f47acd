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
 * Auris's bf16 GEMM against float64 math on the same bf16 operands: the float32 sums agree to 1e-5 of the output's
 * scale × √K, so the bf16 outputs (each rounded once to nearest even) are within one bf16 step (2⁻⁸ relative) of
 * the exact product. Shapes cover every row-tile remainder (M % 8), output panels with a tail (N % 32), a K of
 * 130, a bias, and a 3-D x.
 */
class GemmBf16Test {
    @BeforeEach
    void kernel() {
        Assumptions.assumeTrue(GemmBf16.describe().startsWith("Auris"), "not taken here: " + GemmBf16.describe() + " (" + NativeKernels.describe() + ")");
    }

    static void check(Tensor y, Tensor x, Tensor w, Tensor bias) {
        Tensor want = torch.matmul(x.to(torch.ScalarType.Double), w.to(torch.ScalarType.Double).t());      // [..., N]
        if (bias != null) want = want.add(bias.to(torch.ScalarType.Double));
        assertEquals(torch.ScalarType.BFloat16, y.scalar_type().intern());
        assertArrayEquals(Torch.shape(want), Torch.shape(y));
        Tensor err = y.to(torch.ScalarType.Double).sub(want).abs();
        Tensor allowed = want.abs().mul(Torch.scalar(1.0 / 256)).add(Torch.scalar(1e-5 * Math.sqrt(w.size(1)) * Torch.toFloats(want.abs().max().to(torch.ScalarType.Float))[0]));
        long bad = Torch.toLongs(err.gt(allowed).sum().to(torch.ScalarType.Long))[0];
        assertEquals(0, bad, bad + " outputs off by more than a bf16 step; worst " + Torch.toFloats(err.max().to(torch.ScalarType.Float))[0]);
    }

    @ParameterizedTest
    @CsvSource({"9,32,64", "10,33,130", "17,70,256", "64,256,2048", "100,257,512", "515,96,66", "23,1000,128"})
    void matchesExactMathOnTheSameBf16Operands(int m, int n, int k) {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            torch.manual_seed(m * 131L + n * 7L + k);
            Tensor x = torch.randn(m, k).to(torch.ScalarType.BFloat16);                             // [M, K]
            Tensor w = torch.randn(n, k).mul(Torch.scalar(0.05)).to(torch.ScalarType.BFloat16);     // [N, K]
            assertTrue(GemmBf16.takes(x, w));
            check(GemmBf16.linear(x, w, null), x, w, null);
            Tensor b = torch.randn(n).to(torch.ScalarType.BFloat16);
            check(new Linear(w, b).apply(x), x, w, b);                                              // the layer's route, bias added in the kernel
            check(new Weights.Dense(w).apply(x), x, w, null);
        }
    }

    @Test
    void aBatchOfSequencesKeepsItsShape() {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            Tensor x = torch.randn(2, 13, 128).to(torch.ScalarType.BFloat16);                       // [B, T, K]
            Tensor w = torch.randn(40, 128).mul(Torch.scalar(0.1)).to(torch.ScalarType.BFloat16);
            Tensor y = GemmBf16.linear(x.transpose(0, 1).contiguous().transpose(0, 1), w, null);   // a strided x is made contiguous
            check(y, x, w, null);
        }
    }

    @Test
    void productsOutsideItsShapesStayWithLibtorch() {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            Tensor w = torch.randn(16, 64).to(torch.ScalarType.BFloat16);
            assertFalse(GemmBf16.takes(torch.randn(8, 64).to(torch.ScalarType.BFloat16), w), "a decode's few rows: the GEMV");
            assertFalse(GemmBf16.takes(torch.randn(20, 64), w), "float32 x");
            assertFalse(GemmBf16.takes(torch.randn(20, 63).to(torch.ScalarType.BFloat16), torch.randn(16, 63).to(torch.ScalarType.BFloat16)), "odd K");
            assertFalse(GemmBf16.takes(torch.randn(20, 64).to(torch.ScalarType.BFloat16), w.t().contiguous().t()), "a strided W");
        }
        Tensor x = torch.randn(20, 64).to(torch.ScalarType.BFloat16).requires_grad_(true);
        assertFalse(GemmBf16.takes(x, torch.randn(16, 64).to(torch.ScalarType.BFloat16)), "autograd keeps libtorch");
    }
}
