package dev.auris.serve;

import dev.auris.audio.Audio;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Silero VAD through ONNX Runtime on the bundled speech clip and on a tone that only an energy detector takes for speech. */
class ServeSileroVadTest {
    static float[] padded(float[] x, double leadSeconds, double tailSeconds) {
        int lead = (int) (leadSeconds * Vad.RATE);
        float[] out = new float[lead + x.length + (int) (tailSeconds * Vad.RATE)];
        System.arraycopy(x, 0, out, lead, x.length);
        return out;
    }

    static List<Vad.Change> run(Vad vad, float[] x, int chunk) {
        List<Vad.Change> out = new ArrayList<>();
        for (int off = 0; off < x.length; off += chunk) out.addAll(vad.feed(java.util.Arrays.copyOfRange(x, off, Math.min(x.length, off + chunk))));
        return out;
    }

    static SileroVad silero() {
        SileroVad v = SileroVad.create(0.5, 500);
        assertNotNull(v, "ONNX Runtime runs here: " + SileroVad.unavailable());
        return v;
    }

    @Test
    void findsTheSpokenSentence() {
        float[] speech = Audio.load(TestModel.story3()).samples(); // 2.34 s
        var changes = run(silero(), padded(speech, 1.0, 1.5), 1600);
        System.out.println("silero on story-3.wav padded by 1 s / 1.5 s of silence: " + changes);
        assertEquals(3, changes.size(), changes.toString());
        long start = assertInstanceOf(Vad.Started.class, changes.get(0)).ms(), stop = assertInstanceOf(Vad.Stopped.class, changes.get(2)).ms();
        assertEquals(stop, assertInstanceOf(Vad.Paused.class, changes.get(1)).ms(), "the pause names the silence that then ends the turn");
        assertTrue(start >= 950 && start <= 1400, "speech starts with the clip: " + start);
        assertTrue(stop >= 2800 && stop <= 3500, "and stops with it (1000 + 2336 ms): " + stop);
    }

    @Test
    void aToneIsNotSpeech() {
        float[] tone = ServeEnergyVadTest.signal(3, 0.5, 2.5); // made at 24 kHz: played at 16 kHz it is a 293 Hz tone
        assertTrue(run(silero(), tone, 1600).isEmpty(), "Silero hears no speech in a steady tone");
        assertFalse(run(new EnergyVad(Vad.RATE, 12, 500), tone, 1600).isEmpty(), "the energy fallback does");
    }

    @Test
    void chunkingDoesNotMatter() {
        float[] x = padded(Audio.load(TestModel.story3()).samples(), 0.3, 1.0);
        assertEquals(run(silero(), x, 1600), run(silero(), x, 333));
    }
}
