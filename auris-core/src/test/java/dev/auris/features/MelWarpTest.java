package dev.auris.features;

import dev.auris.core.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class MelWarpTest {
    @BeforeAll
    static void init() { Torch.init(); }

    /** mel[m, t] = 10·m + t: linear in both axes, so linear resampling is exact away from the clamped top bin. */
    private static float[] ramp(int m, int f) {
        float[] x = new float[m * f];
        for (int i = 0; i < m; i++) for (int t = 0; t < f; t++) x[i * f + t] = 10f * i + t;
        return x;
    }

    @Test
    void unitFactorsAreTheIdentity() {
        try (PointerScope s = new PointerScope()) {
            float[] x = ramp(8, 13);
            assertArrayEquals(x, Torch.toFloats(MelWarp.warp(Torch.fromFloats(x, 8, 13), 1, 1)), 1e-5f);
        }
    }

    @Test
    void binsAreReadAtScaledPositionsAndFramesResampled() {
        try (PointerScope s = new PointerScope()) {
            var out = MelWarp.warp(Torch.fromFloats(ramp(8, 11), 8, 11), 0.5, 2.0 - 1.0 / 11); // 11 frames -> 21
            assertArrayEquals(new long[]{8, 21}, Torch.shape(out));
            float[] y = Torch.toFloats(out);
            for (int i = 0; i < 8; i++) {
                for (int t = 0; t < 21; t++) assertEquals(10f * (i * 0.5f) + t * 0.5f, y[i * 21 + t], 1e-4f, "bin " + i + " frame " + t);
            }
            // stretching the bins upwards clamps at the top bin
            float[] z = Torch.toFloats(MelWarp.warp(Torch.fromFloats(ramp(8, 3), 8, 3), 2, 1));
            assertEquals(70f, z[7 * 3], 1e-4f);
            assertEquals(60f, z[3 * 3], 1e-4f);
        }
    }

    @Test
    void randomWarpStaysInsideTheWindowAndOffIsUntouched() {
        try (PointerScope s = new PointerScope()) {
            var mel = Torch.fromFloats(ramp(80, 100), 80, 100);
            assertSame(mel, MelWarp.apply(mel, 0, new SplittableRandom(1), 1000));
            SplittableRandom r = new SplittableRandom(7);
            for (int i = 0; i < 50; i++) {
                long f = MelWarp.apply(mel, 0.2, r, 104).size(1);
                assertTrue(f >= 80 && f <= 104, "frames " + f);
            }
            assertThrows(IllegalArgumentException.class, () -> MelWarp.warp(Torch.fromFloats(new float[4], 4), 1, 1));
        }
    }
}
