package dev.auris.serve;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The fallback end-of-speech detector on synthetic signals whose speech spans are known to the millisecond. */
class ServeEnergyVadTest {
    static final int RATE = 24_000;

    /** Quiet noise (-60 dBFS) with a 440 Hz tone at -20 dBFS from {@code from} to {@code to} seconds. */
    static float[] signal(double seconds, double from, double to) {
        var rnd = new java.util.Random(1);
        float[] x = new float[(int) (seconds * RATE)];
        for (int i = 0; i < x.length; i++) {
            double t = i / (double) RATE;
            x[i] = (float) (0.001 * rnd.nextGaussian() + (t >= from && t < to ? 0.14 * Math.sin(2 * Math.PI * 440 * t) : 0));
        }
        return x;
    }

    static List<EnergyVad.Change> run(EnergyVad vad, float[] x, int chunk) {
        List<EnergyVad.Change> out = new ArrayList<>();
        for (int off = 0; off < x.length; off += chunk) out.addAll(vad.feed(java.util.Arrays.copyOfRange(x, off, Math.min(x.length, off + chunk))));
        return out;
    }

    @Test
    void findsTheSpanWithinAFrame() {
        var changes = run(new EnergyVad(RATE, 12, 500), signal(3, 1.0, 2.0), 2400);
        assertEquals(2, changes.size(), changes.toString());
        var start = assertInstanceOf(EnergyVad.Started.class, changes.get(0));
        var stop = assertInstanceOf(EnergyVad.Stopped.class, changes.get(1));
        assertEquals(1000, start.ms(), 20);
        assertEquals(2000, stop.ms(), 20);
    }

    @Test
    void chunkingDoesNotMatter() {
        float[] x = signal(3, 0.5, 1.7);
        assertEquals(run(new EnergyVad(RATE, 12, 500), x, 2400), run(new EnergyVad(RATE, 12, 500), x, 37));
    }

    @Test
    void pausesShorterThanTheSilenceAreOneTurn() {
        float[] a = signal(1.3, 0.2, 1.3), b = signal(2.0, 0.2, 1.0); // 200 ms gap between the two
        float[] x = new float[a.length + b.length];
        System.arraycopy(a, 0, x, 0, a.length);
        System.arraycopy(b, 0, x, a.length, b.length);
        var changes = run(new EnergyVad(RATE, 12, 500), x, 2400);
        assertEquals(2, changes.size(), changes.toString());
        assertEquals(200, ((EnergyVad.Started) changes.get(0)).ms(), 20);
        assertEquals(2300, ((EnergyVad.Stopped) changes.get(1)).ms(), 20);
    }

    @Test
    void noiseAloneIsNotSpeech() {
        assertTrue(run(new EnergyVad(RATE, 12, 500), signal(3, 9, 9), 2400).isEmpty());
    }

    @Test
    void refusesATooShortSilence() {
        assertThrows(IllegalArgumentException.class, () -> new EnergyVad(RATE, 12, 5));
    }
}
