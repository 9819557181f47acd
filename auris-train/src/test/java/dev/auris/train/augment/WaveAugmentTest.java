package dev.auris.train.augment;

import dev.auris.audio.AudioClip;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class WaveAugmentTest {
    static final int SR = AudioClip.SAMPLE_RATE;

    static float[] sine(double hz, double seconds, double amp) {
        float[] x = new float[(int) (seconds * SR)];
        for (int i = 0; i < x.length; i++) x[i] = (float) (amp * Math.sin(2 * Math.PI * hz * i / SR));
        return x;
    }

    static double db(double ratio) { return 10 * Math.log10(ratio); }

    static WaveAugment only(double speed, double reverb, double noise, double telephone) {
        return new WaveAugment(0, speed, reverb, null, noise, List.of(10.0, 10.0), telephone, 0);
    }

    @Test
    void aCleanDrawIsTheClipItself() {
        AudioClip c = new AudioClip(sine(440, 0.5, 0.3), SR);
        assertSame(c, new WaveAugment(1, 0.1, 1, null, 1, null, 1, 6).apply(c, new SplittableRandom(1)));
    }

    @Test
    void theSameStreamGivesTheSameDraw() {
        AudioClip c = new AudioClip(sine(300, 1, 0.3), SR);
        WaveAugment a = new WaveAugment(0.2, 0.1, 0.5, null, 0.5, null, 0.3, 6);
        for (long seed = 0; seed < 5; seed++) {
            assertArrayEquals(a.apply(c, new SplittableRandom(seed)).samples(), a.apply(c, new SplittableRandom(seed)).samples());
        }
        assertFalse(java.util.Arrays.equals(a.apply(c, new SplittableRandom(11)).samples(), a.apply(c, new SplittableRandom(12)).samples()));
    }

    @Test
    void noiseLandsAtTheAskedSignalToNoiseRatio() {
        float[] x = sine(500, 1, 0.2);
        for (long seed = 0; seed < 6; seed++) {                          // every colour is drawn among these
            float[] y = Noise.add(x, 10, new SplittableRandom(seed));
            double noise = 0;
            for (int i = 0; i < x.length; i++) noise += (double) (y[i] - x[i]) * (y[i] - x[i]);
            assertEquals(10.0, db(Noise.power(x) / (noise / x.length)), 0.01);
        }
    }

    @Test
    void aSilentClipGetsNoNoise() {
        float[] x = new float[1600];
        assertSame(x, Noise.add(x, 0, new SplittableRandom(1)));
    }

    @Test
    void pinkNoiseFallsThreeDecibelsAnOctave() {
        float[] p = Noise.pink(1 << 15, new SplittableRandom(3));
        // power in two octave-apart bands by Goertzel over many bins: 250-500 Hz vs 1-2 kHz is two octaves, ~6 dB apart
        double low = bandPower(p, 250, 500), high = bandPower(p, 1000, 2000);
        assertEquals(6.0, db(low / high), 1.5);
    }

    @Test
    void theTelephoneLinePassesTheVoiceBandOnly() {
        double in = Noise.power(sine(1000, 1, 0.3));
        assertEquals(0, db(Noise.power(Telephone.line(sine(1000, 1, 0.3))) / in), 1.0);
        assertTrue(db(Noise.power(Telephone.line(sine(80, 1, 0.3))) / in) < -15, "80 Hz is cut");
        assertTrue(db(Noise.power(Telephone.line(sine(6000, 1, 0.3))) / in) < -30, "6 kHz is gone at 8 kHz");
    }

    @Test
    void muLawKeepsEightBitsOfRelativePrecision() {
        for (float v = 0.01f; v < 1; v += 0.0137f) {
            assertEquals(v, Telephone.muLaw(v), v * 0.04, "µ-law step at " + v);
            assertEquals(-Telephone.muLaw(v), Telephone.muLaw(-v), 1e-6);
        }
    }

    @Test
    void aRoomKeepsTheClipsLengthAndLevelAndDecays() {
        float[] x = sine(400, 1, 0.3);
        float[] y = Room.reverberate(x, 0.5, new SplittableRandom(4));
        assertEquals(x.length, y.length);
        assertEquals(Noise.power(x), Noise.power(y), Noise.power(x) * 1e-3);
        float[] h = Room.impulse(0.5, new SplittableRandom(5));
        assertEquals(1f, h[0]);
        double head = 0, tail = 0;
        int tenth = h.length / 10;
        for (int i = 1; i < tenth * 2; i++) head += h[i] * h[i];
        for (int i = h.length - tenth; i < h.length; i++) tail += h[i] * h[i];
        assertTrue(db(head / tail) > 40, "the tail is ~50 dB under the first reflections");
    }

    @Test
    void speedChangesTheLength() {
        AudioClip c = new AudioClip(sine(300, 2, 0.3), SR);
        WaveAugment a = only(0.1, 0, 0, 0);
        java.util.Set<Integer> lengths = new java.util.TreeSet<>();
        for (long seed = 0; seed < 40; seed++) lengths.add(a.apply(c, new SplittableRandom(seed)).samples().length);
        // factors 0.9, 0.95, 1, 1.05, 1.1: 2 s becomes 2/factor s
        for (double f : new double[]{0.9, 0.95, 1.0, 1.05, 1.1}) {
            int expected = (int) Math.round(c.samples().length / f);
            assertTrue(lengths.stream().anyMatch(n -> Math.abs(n - expected) <= 2), "a replay at " + f + " among " + lengths);
        }
    }

    @Test
    void badSettingsAndClipsAreRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> new WaveAugment(0, 0, 0, null, 1.5, null, 0, 0));
        assertTrue(e.getMessage().contains("noise"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new WaveAugment(0, 0, 0, null, 0, List.of(30.0, 0.0), 0, 0));
        assertTrue(e.getMessage().contains("snr_db"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new WaveAugment(0, 0, 0, List.of(0.3), 0, null, 0, 0));
        assertTrue(e.getMessage().contains("rt60"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> only(0, 0, 1, 0).apply(new AudioClip(new float[800], 8000), new SplittableRandom(1)));
        assertTrue(e.getMessage().contains("16 kHz"), e.getMessage());
    }

    /** Mean power of x in [lo, hi) Hz, by direct DFT over the bins there. */
    static double bandPower(float[] x, double lo, double hi) {
        int n = x.length;
        double sum = 0;
        int bins = 0;
        for (int k = (int) (lo * n / SR); k < (int) (hi * n / SR); k += 8) {
            double re = 0, im = 0, w = 2 * Math.PI * k / n;
            for (int i = 0; i < n; i++) {
                re += x[i] * Math.cos(w * i);
                im -= x[i] * Math.sin(w * i);
            }
            sum += re * re + im * im;
            bins++;
        }
        return sum / bins;
    }
}
