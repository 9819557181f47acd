package dev.auris.features;

import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.core.Home;
import dev.auris.core.Torch;
import dev.auris.io.Npy;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Numeric contract: openai/whisper log_mel_spectrogram (numpy float64 port), atol 1e-4. */
class LogMelTest {
    @Test
    void jfkLogMelMatchesWhisper() {
        Npy.Array expected = Npy.read(Home.resolve("testdata/golden/logmel/expected_mel.npy"));
        AudioClip clip = Audio.load(Home.resolve("assets/speech/jfk.wav"));
        assertEquals(176000, clip.samples().length);
        Npy.Array samples = Npy.read(Home.resolve("testdata/golden/logmel/audio_samples.npy"));
        assertArrayEquals(samples.data(), clip.samples(), 0f);
        try (var scope = new PointerScope()) {
            var mel = LogMel.of(80).compute(clip);
            assertArrayEquals(new long[]{80, 1100}, Torch.shape(mel));
            assertEquals(0, maxAbsDiff(expected.data(), Torch.toFloats(mel)), 1e-4);
        }
    }

    @Test
    void hop320MatchesTheNumpyPortAtHalfTheFrames() {
        // testdata/golden/logmel/make_hop320.py: the same float64 port with hop_length 320 (checked against the hop-160 golden first)
        Npy.Array expected = Npy.read(Home.resolve("testdata/golden/logmel/expected_mel_hop320.npy"));
        AudioClip clip = Audio.load(Home.resolve("assets/speech/jfk.wav"));
        try (var scope = new PointerScope()) {
            LogMel lm = LogMel.of(80, 320);
            var mel = lm.compute(clip);
            assertArrayEquals(new long[]{80, 550}, Torch.shape(mel));
            assertEquals(550, lm.frames(clip.samples().length));
            assertEquals(0, maxAbsDiff(expected.data(), Torch.toFloats(mel)), 1e-4);
            assertArrayEquals(new long[]{80, 1500}, Torch.shape(lm.computeWindow30s(clip)));
        }
    }

    @Test
    void unusableHopIsAClearError() {
        for (int hop : new int[]{0, 333, 800}) {
            var e = assertThrows(IllegalArgumentException.class, () -> LogMel.of(80, hop));
            assertTrue(e.getMessage().contains("hop_length " + hop), e.getMessage());
        }
    }

    @Test
    void paddedMelMatchesWhisperEncoderInput() {
        Npy.Array expected = Npy.read(Home.resolve("testdata/golden/whisper-tiny-random/input_mel.npy"));
        AudioClip clip = Audio.load(Home.resolve("assets/speech/jfk.wav"));
        try (var scope = new PointerScope()) {
            var mel = LogMel.of(80).compute(clip, LogMel.N_SAMPLES).narrow(1, 0, LogMel.N_FRAMES);
            assertEquals(0, maxAbsDiff(expected.data(), Torch.toFloats(mel)), 1e-4);
        }
    }

    @Test
    void filtersMatchWhisperAssets() {
        for (int n : new int[]{80, 128}) {
            Npy.Array ref = Npy.read(Home.resolve("assets/whisper/mel_" + n + ".npy"));
            assertArrayEquals(new long[]{n, 201}, ref.shape());
            assertEquals(0, maxAbsDiff(ref.data(), MelFilters.slaney(16000, 400, n)), 1e-6, "mel_" + n);
        }
    }

    @Test
    void tooShortAudioIsAClearError() {
        var e = assertThrows(RuntimeException.class, () -> LogMel.of(80).compute(new AudioClip(new float[100], 16000)));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length, "length");
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
