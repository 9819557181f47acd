package dev.auris.speech;

import dev.auris.io.WeightSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Streamed audio, concatenated, equals the audio of vocoding all the units at once (within 1e-4), for
 * several Ω and random arrival patterns — on the golden vocoder and on a deeper random one with
 * LLaMA-Omni's upsampling rates (5, 4, 4, 2, 2) and ResBlock kernels (3, 7, 11).
 */
class UnitStreamerTest {
    @Test
    void goldenVocoderStreamsExactly() {
        try (CodeHiFiGan v = CodeHiFiGanGoldenTest.golden()) {
            check(v, 160, new int[]{1, 3, 10, 37, 1000});
        }
    }

    @Test
    void llamaOmniShapedVocoderStreamsExactly() {
        var c = new CodeHiFiGanConfig(50, 16, 16, List.of(5, 4, 4, 2, 2), List.of(11, 8, 8, 4, 4), 32, List.of(3, 7, 11),
                List.of(List.of(1, 3, 5), List.of(1, 3, 5), List.of(1, 3, 5)), new CodeHiFiGanConfig.DurationPredictor(16, 16, 3), 16000);
        try (CodeHiFiGan v = CodeHiFiGan.load(c, unitGain(11))) {
            System.out.printf("LLaMA-Omni-shaped vocoder: receptive field ±%d frames, duration context ±%d units%n", v.frameContext(), v.unitContext());
            check(v, 90, new int[]{4, 25});
            // the receptive field bounds the reach of a change: changing frame j changes samples no further than C frames away
            int C = v.frameContext(), h = v.samplesPerFrame(), j = C + 8;
            long[] a = new long[2 * C + 20], b = a.clone();
            b[j] = 7;
            float[] wa = v.synthesize(a), wb = v.synthesize(b);
            int left = 0, right = 0;
            for (int i = 0; i < wa.length; i++) {
                if (wa[i] != wb[i]) {
                    left = Math.max(left, j - i / h);
                    right = Math.max(right, i / h - j);
                }
            }
            System.out.printf("a change at one frame reaches %d frames back and %d ahead (bound ±%d)%n", left, right, C);
            assertTrue(left <= C && right <= C && Math.max(left, right) >= C - 1, "reach " + left + " / " + right + " vs bound " + C);
        }
    }

    /** Random weights whose weight-normed convolutions have gain 1 per output channel (g = 1), so the signal neither dies nor saturates. */
    static WeightSource unitGain(long seed) {
        WeightSource r = WeightSource.random(seed, 0.3);
        return new WeightSource() {
            @Override
            public org.bytedeco.pytorch.Tensor tensor(String name, dev.auris.core.DType dtype, long... shape) {
                return name.endsWith(".weight_g") ? org.bytedeco.pytorch.global.torch.ones(shape, dev.auris.core.Torch.options(dtype)) : r.tensor(name, dtype, shape);
            }

            @Override
            public boolean contains(String name) { return r.contains(name); }
        };
    }

    private static void check(Vocoder v, int count, int[] omegas) {
        Random r = new Random(1);
        int k = v instanceof CodeHiFiGan h ? h.config().numEmbeddings() : 0;
        long[] units = new long[count];
        for (int i = 0; i < count; i++) {
            do units[i] = r.nextInt(k); while (i > 0 && units[i] == units[i - 1]);
        }
        float[] whole = v.vocode(units);
        double peak = 0;
        for (float x : whole) peak = Math.max(peak, Math.abs(x));
        assertTrue(peak > 0.05, "the test signal is too quiet to check anything: peak " + peak);
        for (int omega : omegas) {
            UnitStreamer s = new UnitStreamer(v, omega);
            float[] got = new float[0];
            int at = 0, chunks = 0;
            while (at < count) {
                int m = Math.min(count - at, 1 + r.nextInt(6));
                float[] a = s.push(java.util.Arrays.copyOfRange(units, at, at + m));
                if (a.length > 0) chunks++;
                got = concat(got, a);
                at += m;
            }
            got = concat(got, s.finish());
            assertEquals(whole.length, got.length, "Ω=" + omega + ": sample count");
            double err = 0;
            for (int i = 0; i < whole.length; i++) err = Math.max(err, Math.abs(whole[i] - got[i]));
            System.out.printf("streaming Ω=%d: %d units → %d samples in %d chunks + the rest, max |Δ| vs whole %.2e%n", omega, count, got.length, chunks, err);
            assertTrue(err < 1e-4, "Ω=" + omega + ": max |Δ| " + err);
        }
    }

    static float[] concat(float[] a, float[] b) {
        float[] o = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, o, a.length, b.length);
        return o;
    }
}
