package dev.auris.speech;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.testing.Golden;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Speaking many answers token by token (decoder KV cache, vocoder calls) leaves native memory flat. */
class SpeechStreamMemoryTest {
    static long median(long[] x) {
        long[] c = x.clone();
        java.util.Arrays.sort(c);
        return c[c.length / 2];
    }

    @Test
    void streamingFreesItsNativeMemory() {
        try (SpeechDecoder d = SpeechDecoder.load(Golden.dir("speech/llama-omni-tiny"), DType.F32); CodeHiFiGan v = CodeHiFiGanGoldenTest.golden()) {
            SpeechHead head = new SpeechHead(d, v, 4);
            Random r = new Random(9);
            Runnable answer = () -> {
                try (SpeechStream s = head.stream(); PointerScope scope = new PointerScope()) {
                    for (int t = 0; t < 30; t++) s.push(Torch.fromFloats(IncrementalDecoderTest.gaussian(r, 16), 1, 16));
                    s.finish();
                }
            };
            for (int i = 0; i < 10; i++) answer.run();                                   // warm-up: allocator pools, JIT
            // live malloc'd memory after each answer swings by a few MB (allocator caches), so compare the
            // medians of the first and last 15 of 60 answers: a leak of one KV cache or one vocoder window
            // per answer (≥ 100 KB) would move the median by ≥ 4 MB
            long[] live = new long[60];
            for (int i = 0; i < live.length; i++) {
                answer.run();
                live[i] = dev.auris.testing.Fixtures.nativeInUse();
            }
            Assumptions.assumeTrue(live[0] >= 0, "needs glibc's mallinfo2");
            long first = median(java.util.Arrays.copyOfRange(live, 0, 15)), last = median(java.util.Arrays.copyOfRange(live, 45, 60));
            System.out.printf("speech stream memory: median live malloc %d KB → %d KB over 45 answers%n", first >> 10, last >> 10);
            assertTrue(last - first < (3 << 20), "live malloc'd memory grew by " + ((last - first) >> 10) + " KB over 45 answers");
        }
    }
}
