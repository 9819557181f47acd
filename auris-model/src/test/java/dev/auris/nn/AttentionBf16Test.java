package dev.auris.nn;

import dev.auris.core.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The fused bf16 attention against libtorch's float32 SDPA on the same bf16 q, k, v. The kernel rounds each block's
 * probabilities to bf16 before they weigh v and its output to bf16, so outputs agree to 1 % of v's largest value
 * (measured: 0.04–0.2 %). Shapes cover query tiles with a remainder (T % 4), key blocks with one (S % 32), grouped
 * heads, every head width it takes, scores large enough that the online softmax's rescaling matters, and causal
 * attention of a fresh prefill (S = T).
 */
class AttentionBf16Test {
    @BeforeEach
    void kernel() {
        Assumptions.assumeTrue(AttentionBf16.takes(torch.zeros(1, 1, 9, 32).to(torch.ScalarType.BFloat16), torch.zeros(1, 1, 9, 32).to(torch.ScalarType.BFloat16),
                torch.zeros(1, 1, 9, 32).to(torch.ScalarType.BFloat16), null, false), "the fused bf16 attention does not run here: " + NativeKernels.describe());
    }

    @ParameterizedTest
    @CsvSource({"1,8,8,1500,1500,64,1,false", "2,4,2,37,70,32,1,false", "1,6,3,9,33,128,1,false", "1,2,1,100,31,64,4,false", "1,4,4,64,200,64,8,false",
            "1,8,2,512,512,64,1,true", "2,4,4,37,37,32,4,true", "1,3,3,9,9,128,1,true", "1,2,1,70,70,64,8,true"})
    void matchesFloatSdpaOnTheSameBf16Inputs(int b, int h, int kv, int t, int s, int hd, double sharpness, boolean causal) {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            torch.manual_seed(h * 31L + t + s);
            var bf = torch.ScalarType.BFloat16;
            Tensor q = torch.randn(b, h, t, hd).mul(Torch.scalar(sharpness)).to(bf), k = torch.randn(b, kv, s, hd).to(bf), v = torch.randn(b, kv, s, hd).to(bf);
            assertTrue(AttentionBf16.takes(q, k, v, null, causal));
            Tensor got = Attention.attend(q, k, v, null, causal);                                   // the route an encoder (a fresh prefill) takes
            var f = torch.ScalarType.Float;
            Tensor want = torch.scaled_dot_product_attention(q.to(f), k.to(f), v.to(f), new TensorOptional(), 0.0, causal, new DoubleOptional(), h != kv);
            assertEquals(bf, got.scalar_type().intern());
            double err = Torch.toFloats(got.to(f).sub(want).abs().max())[0], scale = Torch.toFloats(v.to(f).abs().max())[0];
            System.out.printf("fused bf16 attention [%d, %d/%d, %d, %d, %d] ×%.0f%s: max |Δ| %.2e of v up to %.2f%n", b, h, kv, t, s, hd, sharpness, causal ? " causal" : "", err, scale);
            assertTrue(err <= 0.01 * scale, "attention differs by " + err + " (v up to " + scale + ")");
        }
    }

    @Test
    void masksCausalityDecodesAndOddWidthsStayWithLibtorch() {
        try (var scope = new PointerScope(); var guard = new NoGradGuard()) {
            var bf = torch.ScalarType.BFloat16;
            Tensor q = torch.randn(1, 2, 20, 64).to(bf), k = torch.randn(1, 2, 20, 64).to(bf);
            assertFalse(AttentionBf16.takes(q, k, k, torch.ones(new long[]{1, 1, 20, 20}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Bool)), false), "a mask");
            assertFalse(AttentionBf16.takes(q, torch.randn(1, 2, 24, 64).to(bf), torch.randn(1, 2, 24, 64).to(bf), null, true), "causal over earlier keys (S ≠ T)");
            assertFalse(AttentionBf16.takes(q.narrow(2, 0, 1), k, k, null, false), "a decode step");
            assertFalse(AttentionBf16.takes(torch.randn(1, 2, 20, 48).to(bf), torch.randn(1, 2, 20, 48).to(bf), torch.randn(1, 2, 20, 48).to(bf), null, false), "hd 48");
            assertFalse(AttentionBf16.takes(q.to(torch.ScalarType.Float), k.to(torch.ScalarType.Float), k.to(torch.ScalarType.Float), null, false), "float32");
        }
    }
}
