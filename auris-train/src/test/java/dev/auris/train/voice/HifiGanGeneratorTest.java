package dev.auris.train.voice;

import dev.auris.core.Torch;
import dev.auris.io.Checkpoint;
import dev.auris.speech.CodeHiFiGan;
import dev.auris.speech.CodeHiFiGanConfig;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The trainable generator is the inference vocoder: what {@link HifiGanGenerator#save} writes,
 * {@link CodeHiFiGan#load} reads (fairseq names, weight norm as g / v) and synthesizes the same samples
 * (within 1e-5) and durations; and 30 steps (15 of them adversarial) on a toy voice (units → sine tones) stay
 * finite and the resynthesis mel L1 falls by a fifth.
 */
class HifiGanGeneratorTest {
    @TempDir
    Path tmp;

    static CodeHiFiGanConfig small(int k) {
        return new CodeHiFiGanConfig(k, 16, 16, List.of(5, 4, 4, 4), List.of(11, 8, 8, 8), 32, List.of(3, 7),
                List.of(List.of(1, 3, 5), List.of(1, 3, 5)), new CodeHiFiGanConfig.DurationPredictor(16, 16, 3), 16000);
    }

    @Test
    void savedGeneratorIsTheInferenceVocoder() throws Exception {
        var c = small(8);
        try (HifiGanGenerator g = new HifiGanGenerator(c, 3)) {
            g.save(tmp.resolve("model.safetensors"));
            Files.writeString(tmp.resolve("config.json"), VocoderGan.configJson(c));
            long[] frames = {1, 1, 2, 2, 2, 5, 7, 7, 0, 3};
            float[] mine;
            try (PointerScope s = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
                mine = Torch.toFloats(g.forward(Torch.fromLongs(frames, 1, frames.length)));
            }
            try (CodeHiFiGan v = CodeHiFiGan.load(tmp.resolve("config.json"), tmp.resolve("model.safetensors"))) {
                float[] theirs = v.synthesize(frames);
                assertEquals(mine.length, theirs.length);
                assertEquals(frames.length * 320, theirs.length);
                double max = 0;
                for (int i = 0; i < mine.length; i++) max = Math.max(max, Math.abs(mine[i] - theirs[i]));
                assertTrue(max < 1e-5, "max |Δ| " + max);
                long[] units = {1, 2, 5, 7, 0, 3};
                int[] d = v.durations(units);
                try (PointerScope s = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
                    float[] logd = Torch.toFloats(g.logDurations(Torch.fromLongs(units, units.length)));
                    for (int i = 0; i < units.length; i++) assertEquals(Math.max(1, Math.round(Math.exp(logd[i]) - 1)), d[i], "duration " + i);
                }
            }
        }
    }

    @Test
    void ganStepsStayFiniteAndMelFalls() {
        var c = small(4);
        List<VocoderGan.Clip> clips = new ArrayList<>();
        Random r = new Random(1);
        for (int n = 0; n < 6; n++) {                                  // unit u sounds a sine of 200 (u + 1) Hz for its frames
            int frames = 40;
            long[] f = new long[frames];
            float[] s = new float[frames * 320];
            int u = r.nextInt(4);
            for (int i = 0; i < frames; i++) {
                if (i % 8 == 0) u = r.nextInt(4);
                f[i] = u;
                for (int j = 0; j < 320; j++) s[i * 320 + j] = (float) (0.5 * Math.sin(2 * Math.PI * 200 * (u + 1) * (i * 320 + j) / 16000.0));
            }
            clips.add(new VocoderGan.Clip(f, s));
        }
        var spec = new VoiceSpec.VocoderSpec(16, 32, c.upsampleRates(), c.upsampleKernelSizes(), c.resblockKernelSizes(), c.resblockDilationSizes(), 16, 8,
                30, 2, 10, 2e-3, 15, 0, 0, 5);
        try (HifiGanGenerator g = new HifiGanGenerator(c, 3)) {
            double before = VocoderGan.heldOutMel(g, clips, 10);
            VocoderGan.Result res = VocoderGan.train(g, spec, clips, clips, tmp, m -> {});
            assertEquals(30, res.steps());
            assertTrue(Double.isFinite(res.lastMelL1()) && Double.isFinite(res.heldOutMelL1()), res.toString());
            assertTrue(res.heldOutMelL1() < 0.8 * before, "resynthesis mel L1 " + before + " → " + res.heldOutMelL1());
        }
    }
}
