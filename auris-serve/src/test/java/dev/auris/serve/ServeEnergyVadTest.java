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

    /** The starts and stops alone (the pauses between them left out). */
    static List<Vad.Change> startsAndStops(List<Vad.Change> changes) {
        return changes.stream().filter(c -> !(c instanceof Vad.Paused)).toList();
    }

    @Test
    void findsTheSpanWithinAFrame() {
        var changes = run(new EnergyVad(RATE, 12, 500), signal(3, 1.0, 2.0), 2400);
        assertEquals(3, changes.size(), changes.toString());
        var start = assertInstanceOf(EnergyVad.Started.class, changes.get(0));
        var pause = assertInstanceOf(EnergyVad.Paused.class, changes.get(1));
        var stop = assertInstanceOf(EnergyVad.Stopped.class, changes.get(2));
        assertEquals(1000, start.ms(), 20);
        assertEquals(2000, stop.ms(), 20);
        assertEquals(stop.ms(), pause.ms(), "the pause names the silence that then ends the turn");
    }

    @Test
    void aPauseComesAfterTwoHundredMsOfSilenceAndSpeechAfterItGivesALaterOne() {
        float[] a = signal(1.6, 0.2, 1.0), b = signal(2.0, 0.0, 1.0); // speech 0.2–1.0 s, 300 ms quiet, speech 1.3–2.3 s, then 1 s quiet
        float[] x = new float[(int) (1.3 * RATE) + b.length];
        System.arraycopy(a, 0, x, 0, (int) (1.3 * RATE));
        System.arraycopy(b, 0, x, (int) (1.3 * RATE), b.length);
        List<Vad.Change> seen = new ArrayList<>();
        var vad = new EnergyVad(RATE, 12, 500);
        long[] pausedAtSample = new long[2];
        int n = 0;
        for (int off = 0; off < x.length; off += 240) {                       // 10 ms pieces: when each change is known
            for (Vad.Change c : vad.feed(java.util.Arrays.copyOfRange(x, off, Math.min(x.length, off + 240)))) {
                seen.add(c);
                if (c instanceof Vad.Paused && n < 2) pausedAtSample[n++] = off + 240;
            }
        }
        assertEquals(List.of(Vad.Started.class, Vad.Paused.class, Vad.Paused.class, Vad.Stopped.class), seen.stream().map(Object::getClass).toList(), seen.toString());
        assertEquals(1000, ((Vad.Paused) seen.get(1)).ms(), 20);
        assertEquals(1200, pausedAtSample[0] * 1000 / RATE, 20, "known 200 ms into the silence, 300 ms before a stop could be");
        assertEquals(2300, ((Vad.Paused) seen.get(2)).ms(), 20);
        assertEquals(((Vad.Paused) seen.get(2)).ms(), ((Vad.Stopped) seen.get(3)).ms());
        assertEquals(200, Vad.pauseMs(500));
        assertEquals(100, Vad.pauseMs(200), "half a short silence");
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
        var changes = startsAndStops(run(new EnergyVad(RATE, 12, 500), x, 2400));
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
