package dev.auris.audio;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** A WAV written chunk by chunk: the part is a valid WAV after each chunk; the target appears only when finished, and an abandoned stream leaves the old target. */
class WavStreamTest {
    @TempDir
    Path tmp;

    @Test
    void partIsValidAfterEachChunkAndTargetAppearsAtFinish() throws Exception {
        Path out = tmp.resolve("answer.wav");
        float[] a = new float[1600], b = new float[800];
        for (int i = 0; i < a.length; i++) a[i] = (float) Math.sin(i * 0.05) * 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = i % 2 == 0 ? 2f : Float.NaN;  // clipped, NaN as silence
        try (WavStream w = WavStream.open(out, 16000)) {
            w.append(a);
            assertEquals(1600, Audio.load(tmp.resolve("answer.wav.part")).samples().length);
            assertFalse(Files.exists(out));
            w.append(b);
            assertEquals(0.15, w.seconds(), 1e-9);
            w.finish();
        }
        assertFalse(Files.exists(tmp.resolve("answer.wav.part")));
        AudioClip c = Audio.load(out);
        assertEquals(2400, c.samples().length);
        assertEquals(16000, c.sampleRate());
        assertEquals(a[100], c.samples()[100], 1.0 / 32767);
        assertEquals(32767 / 32768.0, c.samples()[1600], 1e-6);
        assertEquals(0, c.samples()[1601]);
    }

    @Test
    void abandonedStreamKeepsTheOldFile() throws Exception {
        Path out = tmp.resolve("answer.wav");
        Files.writeString(out, "old");
        try (WavStream w = WavStream.open(out, 16000)) {
            w.append(new float[]{0.1f, 0.2f});
        }
        assertEquals("old", Files.readString(out));
        assertFalse(Files.exists(tmp.resolve("answer.wav.part")));
    }
}
