package dev.auris.core;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** bf16 autocast: matmuls in bf16 inside the block (close to float32), float32 again after it; gradients reach float32 masters. */
class AutocastTest {
    @Test
    void linearRunsInBf16InsideTheBlockOnly() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(3);
            Tensor x = torch.randn(new long[]{8, 64});
            Tensor w = torch.randn(new long[]{32, 64}).mul(Torch.scalar(0.1)).requires_grad_(true);
            Tensor exact = torch.linear(x, w);
            Tensor mixed;
            try (Autocast ac = Autocast.bf16()) {
                mixed = torch.linear(x, w);
                assertEquals(torch.ScalarType.BFloat16, mixed.scalar_type().intern());
            }
            assertEquals(torch.ScalarType.Float, torch.linear(x, w).scalar_type().intern(), "autocast ends with the block");
            float err = Torch.toFloats(mixed.to(torch.ScalarType.Float).sub(exact).abs().max())[0];
            float scale = Torch.toFloats(exact.abs().max())[0];
            assertTrue(err < 0.02 * scale, "bf16 result within 2 % of float32: " + err + " vs " + scale);
            mixed.to(torch.ScalarType.Float).sum().backward();
            assertEquals(torch.ScalarType.Float, w.grad().scalar_type().intern(), "the master weight's gradient is float32");
            try (Autocast none = Autocast.bf16If(false)) {
                assertNull(none);
            }
        }
    }
}
