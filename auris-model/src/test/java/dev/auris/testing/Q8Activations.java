package dev.auris.testing;

import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The reference for products whose activations the VNNI kernels quantize (dev.auris.nn.Int8Activations): x as
 * llama.cpp's quantize_row_q8_0 rounds it, re-done here in Java independently of the C code — per 32-block
 * d = max|x| / 127, each value x / d clamped to ±127 and rounded to nearest even, then scaled back by d.
 */
public final class Q8Activations {
    private Q8Activations() {}

    /** x [..., k] (k % 32 == 0) as the kernels see it, float32 (d · q is exact in float32: q has 8 bits). */
    public static Tensor dequantized(Tensor x) {
        long[] shape = Torch.shape(x);
        float[] a = Torch.toFloats(x.to(torch.ScalarType.Float).contiguous());
        float[] out = new float[a.length];
        for (int b = 0; b < a.length; b += 32) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(a[b + j]));
            float d = amax / 127;
            for (int j = 0; j < 32; j++) out[b + j] = d == 0 ? 0 : d * (float) Math.rint(Math.max(-127f, Math.min(127f, a[b + j] / d)));
        }
        return Torch.fromFloats(out, shape);
    }
}
