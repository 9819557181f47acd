package dev.auris.speech;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.WeightSource;
import dev.auris.testing.Golden;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Decoding the answer's hidden states as they arrive, in chunks of tokens, gives the units of decoding the
 * whole answer at once — for many random chunkings, on the golden checkpoint and on a random decoder whose
 * frames often repeat a unit across a chunk boundary.
 */
class IncrementalDecoderTest {
    @Test
    void chunkedEqualsWholeOnGoldenCheckpoint() {
        try (SpeechDecoder d = SpeechDecoder.load(Golden.dir("speech/llama-omni-tiny"), DType.F32)) {
            check(d, 16, 40, 11);
        }
    }

    @Test
    void chunkedEqualsWholeOnLongAnswers() {
        var json = Golden.json("speech/llama-omni-tiny");
        var cfg = SpeechDecoderConfig.of("test", ((com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode())
                .put("speech_generator_type", "ctc").put("ctc_decoder_config", "(2,32,4,64)").put("ctc_upsample_factor", 5)
                .put("unit_vocab_size", 6).put("hidden_size", 16).put("rms_norm_eps", 1e-5).put("rope_theta", 10000.0));
        assertNotNull(json);
        try (SpeechDecoder d = SpeechDecoder.load(cfg, WeightSource.random(5, 0.3), DType.F32)) {
            check(d, 16, 25, 60);
        }
    }

    /** bf16 weights (LLaMA-Omni runs the generator in half precision) go through the written-out attention path, incremental too. */
    @Test
    void bf16RunsCloseToF32() {
        try (SpeechDecoder f = SpeechDecoder.load(Golden.dir("speech/llama-omni-tiny"), DType.F32);
             SpeechDecoder b = SpeechDecoder.load(Golden.dir("speech/llama-omni-tiny"), DType.BF16);
             PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            var reps = Golden.npy("speech/llama-omni-tiny", "reps.npy");
            Tensor h = Torch.fromFloats(reps.data(), reps.shape());
            double err = Golden.maxAbsDiff(Torch.toFloats(f.logProbs(h)), Torch.toFloats(b.logProbs(h)));
            System.out.printf("speech decoder bf16 vs f32 log-probs: max |Δ| %.3f%n", err);
            assertTrue(err < 0.2, "bf16 log-probs differ by " + err);
            long[] got = new long[0];
            try (IncrementalDecoder inc = b.incremental()) {
                for (int t = 0; t < 7; t += 2) got = LongStream.concat(Arrays.stream(got), Arrays.stream(inc.push(h.narrow(0, t, Math.min(2, 7 - t))))).toArray();
            }
            assertArrayEquals(b.units(h), got);
        }
    }

    private static void check(SpeechDecoder d, int width, int chunkings, int tokens) {
        Random r = new Random(42);
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor h = Torch.fromFloats(gaussian(r, tokens * width), tokens, width);
            long[] whole = d.units(h);
            long[] frames = d.predict(h);
            int boundaryRepeats = 0;
            for (int c = 0; c < chunkings; c++) {
                long[] got = new long[0];
                try (IncrementalDecoder inc = d.incremental()) {
                    int at = 0;
                    while (at < tokens) {
                        int n = Math.min(tokens - at, c == 0 ? 1 : 1 + r.nextInt(c % 3 == 0 ? 3 : 9));
                        long[] u = inc.push(h.narrow(0, at, n));
                        int f = at * d.config().upsampleFactor();
                        if (at > 0 && frames[f] == frames[f - 1] && frames[f] != d.config().blank()) boundaryRepeats++;
                        got = LongStream.concat(Arrays.stream(got), Arrays.stream(u)).toArray();
                        at += n;
                    }
                    assertEquals((long) tokens * d.config().upsampleFactor(), inc.frames());
                }
                assertArrayEquals(whole, got, "chunking " + c);
            }
            System.out.printf("incremental decoding: %d chunkings of %d tokens equal the whole (%d units, %d unit repeats across chunk boundaries)%n",
                    chunkings, tokens, whole.length, boundaryRepeats);
        }
    }

    static float[] gaussian(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
