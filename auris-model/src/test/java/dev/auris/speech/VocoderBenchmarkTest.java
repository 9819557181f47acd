package dev.auris.speech;

import dev.auris.core.Torch;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

/**
 * A benchmark, not a timed test: the real-time factor (compute time / audio time) of CodeHiFiGAN sizes on
 * this CPU with random weights — LLaMA-Omni's vocoder (fairseq unit_hifigan_mhubert_vp_en_es_fr_it3_400k_
 * layer11_km1000_lj_dur: 512 channels, rates 5·4·4·2·2 = 320 samples per 20 ms frame, ResBlocks 3/7/11) and
 * two narrower generators a tiny model could ship — whole-utterance and streamed every Ω = 20 units.
 * Measured 2026-12-03 on 2 cores of an AMD EPYC (shared; best of 3, load ≈ 2.5): 512 channels RTF 0.24 whole /
 * 0.23 streamed; 128 channels 0.019 / 0.077; 64 channels 0.010 / 0.043 (streaming recomputes ±21 frames of
 * context per chunk). Under heavier load the same runs measured up to 2–3× slower.
 * Run: {@code ./mvnw -B -o -pl auris-model -am -Dsurefire.failIfNoSpecifiedTests=false -Dtest=VocoderBenchmarkTest verify}
 */
class VocoderBenchmarkTest {
    @Test
    void realTimeFactor() {
        System.out.printf("vocoder RTF on %s, %d threads%n", cpu(), Torch.threads());
        for (int channels : new int[]{512, 128, 64}) {
            var c = new CodeHiFiGanConfig(1000, 128, 128, List.of(5, 4, 4, 2, 2), List.of(11, 8, 8, 4, 4), channels, List.of(3, 7, 11),
                    List.of(List.of(1, 3, 5), List.of(1, 3, 5), List.of(1, 3, 5)), null, 16000); // random duration weights would give absurd durations: frames are given
            try (CodeHiFiGan v = CodeHiFiGan.load(c, UnitStreamerTest.unitGain(3))) {
                Random r = new Random(5);
                long[] units = new long[channels >= 512 ? 50 : 150];
                for (int i = 0; i < units.length; i++) units[i] = r.nextInt(1000);
                long[] frames = new long[units.length * 2];                        // 2 frames (40 ms) per unit, as deduplicated 50 Hz units average
                for (int i = 0; i < frames.length; i++) frames[i] = units[i / 2];
                v.synthesize(frames);                                           // warm-up (allocator, oneDNN/OpenBLAS kernels)
                double audio = frames.length * v.samplesPerFrame() / (double) v.sampleRate();
                double whole = Double.MAX_VALUE, streamed = Double.MAX_VALUE;  // best of 3: the machine is shared
                long samples = 0;
                for (int rep = 0; rep < 3; rep++) {
                    long t0 = System.nanoTime();
                    v.synthesize(frames);
                    whole = Math.min(whole, (System.nanoTime() - t0) / 1e9);
                    // streamed every Ω = 20 units of 2 frames each (receptive-field context on both sides)
                    UnitStreamer s = new UnitStreamer(v, 40);
                    long t1 = System.nanoTime();
                    samples = 0;
                    for (int i = 0; i < frames.length; i += 10) samples += s.push(java.util.Arrays.copyOfRange(frames, i, Math.min(frames.length, i + 10))).length;
                    samples += s.finish().length;
                    streamed = Math.min(streamed, (System.nanoTime() - t1) / 1e9);
                }
                double streamedAudio = samples / (double) v.sampleRate();
                System.out.printf("  %3d channels: whole %.2f s of audio in %.3f s → RTF %.3f; streamed Ω=20: %.2f s in %.3f s → RTF %.3f (context ±%d frames)%n",
                        channels, audio, whole, whole / audio, streamedAudio, streamed, streamed / streamedAudio, v.frameContext());
            }
        }
    }

    static String cpu() {
        try {
            return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        } catch (java.io.IOException e) {
            return "unknown CPU";
        }
    }
}
