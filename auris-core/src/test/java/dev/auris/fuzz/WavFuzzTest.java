package dev.auris.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.auris.audio.AudioClip;
import dev.auris.audio.Wav;

/**
 * WAV decoding of arbitrary bytes (RIFF chunks, fmt incl. WAVE_FORMAT_EXTENSIBLE, 8/16/24/32-bit PCM,
 * float 32/64): a clip of finite samples or an {@code AudioException}. Seeds: {@code WavFuzzTestInputs/}.
 * {@code JAZZER_FUZZ=1} fuzzes (docs/FUZZING.md).
 */
class WavFuzzTest {
    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void wav(byte[] bytes) {
        Refusals.refuseCleanly(() -> {
            AudioClip clip = Wav.read(bytes, "fuzz.wav");
            for (float x : clip.samples()) {
                if (!Float.isFinite(x)) throw new AssertionError("non-finite sample passed through: " + x);
            }
            if (clip.samples().length == 0) throw new AssertionError("an empty clip passed through");
        });
    }
}
