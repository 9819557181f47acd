package dev.auris.pipeline;

import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.core.DType;
import dev.auris.core.Home;
import dev.auris.core.NativeMemory;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resident memory (the process's VmRSS: libtorch's native memory included) stays flat over many
 * chat turns in one process: the default model {@code models/tiny}, one session answering typed turns and
 * now and then a spoken one (heard through the joint CTC / LLM transcript), reset when its context fills.
 * {@code -Dauris.turns=10000} for the long run (docs/FUZZING.md).
 */
class ChatMemoryTest {
    static final int TURNS = Integer.getInteger("auris.turns", 450);

    static long rssKb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", ""));
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    static long median(long[] x) {
        long[] c = x.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    @Test
    void residentMemoryIsFlatOverManyTurns() {
        AudioClip story = Audio.load(Home.resolve("examples/story-3.wav"));
        AudioClip clip = new AudioClip(Arrays.copyOf(story.samples(), Math.min(story.samples().length, 2 * 16000)), 16000);
        String[] texts = {"Once upon a time", "The cat sat on the", "Lily wanted to play", "He saw a big red"};
        // Every 10 turns from T/3 on (the first third warms up allocator pools, JIT and the heap): VmRSS, the bytes
        // glibc malloc has handed out (libtorch's tensors, the tokenizer's and ONNX's natives) and the Java heap's
        // committed size. Each swings (G1 grows and shrinks its heap, young garbage comes and goes), so the medians
        // of the first and the last ten samples are compared: a leak of one KV cache or one clip a turn would move
        // the last median by tens of MB, and which of the three moved says where to look
        int from = TURNS / 3, every = 10, n = (TURNS - from) / every;
        long[] rss = new long[n], malloc = new long[n], heap = new long[n];
        long usedFrom = 0, usedTo;
        long t0 = System.nanoTime();
        try (SpeechLlm m = SpeechLlm.load(Home.resolve("models/tiny"), DType.F32); SpeechSession s = m.newSession()) {
            int max = m.llm().config().maxPositionEmbeddings();
            for (int turn = 1; turn <= TURNS; turn++) {
                if (s.position() > max - 64) s.reset();
                Turn user = turn % 50 == 0 ? Turn.user(Turn.speech(clip)) : Turn.user(Turn.text(texts[turn % texts.length]));
                s.respond(user, SamplingOptions.greedy(8), e -> {});
                if (turn == from) {
                    System.gc();
                    usedFrom = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
                }
                if (turn > from && (turn - from) % every == 0 && (turn - from) / every <= n) {
                    int i = (turn - from) / every - 1;
                    rss[i] = rssKb();
                    malloc[i] = NativeMemory.mallocInUse() >> 10;
                    heap[i] = Runtime.getRuntime().totalMemory() >> 10;
                }
            }
            System.gc();
            usedTo = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        }
        int k = Math.min(10, n / 2);
        long first = median(Arrays.copyOfRange(rss, 0, k)), last = median(Arrays.copyOfRange(rss, n - k, n));
        long mallocFirst = median(Arrays.copyOfRange(malloc, 0, k)), mallocLast = median(Arrays.copyOfRange(malloc, n - k, n));
        long heapFirst = median(Arrays.copyOfRange(heap, 0, k)), heapLast = median(Arrays.copyOfRange(heap, n - k, n));
        // what VmRSS gained beyond the Java heap the GC chose to commit (bounded by -Xmx, not a leak: the live heap and
        // malloc's bytes are held below); with the fused decode a turn is ≈ 3× faster and G1 grows its young space
        double growth = (last - first - Math.max(0, heapLast - heapFirst)) / (double) first;
        String parts = String.format("median VmRSS %d KB (turns %d-%d) → %d KB (turns %d-%d), beyond the committed heap's growth %+.2f %%; malloc in use %d → %d KB; committed heap %d → %d KB; live heap %d → %d KB",
                first, from + every, from + k * every, last, TURNS - (k - 1) * every, TURNS, 100 * growth, mallocFirst, mallocLast, heapFirst, heapLast,
                usedFrom >> 10, usedTo >> 10);
        System.out.printf("chat memory: %d turns in %.1f s; %s%n", TURNS, (System.nanoTime() - t0) / 1e9, parts);
        assertTrue(first > 0, "reads VmRSS from /proc/self/status");
        assertTrue(mallocFirst > 0, "reads glibc's mallinfo2");
        assertTrue(growth < 0.05, "resident memory grew " + String.format("%.1f", 100 * growth) + " % (beyond the committed heap) between turn " + from + " and " + TURNS + ": " + parts);
        assertTrue(mallocLast - mallocFirst < 0.05 * first, "native memory in use (malloc) grew " + (mallocLast - mallocFirst) + " KB between turn " + from + " and " + TURNS + ": " + parts);
        assertTrue((usedTo - usedFrom) >> 10 < 0.05 * first, "live Java heap grew " + ((usedTo - usedFrom) >> 10) + " KB between turn " + from + " and " + TURNS + ": " + parts);
    }
}
