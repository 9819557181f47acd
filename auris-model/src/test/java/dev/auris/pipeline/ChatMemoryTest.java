package dev.auris.pipeline;

import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.core.DType;
import dev.auris.core.Home;
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
        // VmRSS every 10 turns from T/3 on (the first third warms up allocator pools, JIT and the heap). The
        // resident heap swings while G1 grows and shrinks it, so compare the medians of the first and the last
        // ten samples: a leak of one KV cache or one clip a turn would move the last median by tens of MB
        int from = TURNS / 3, every = 10, n = (TURNS - from) / every;
        long[] rss = new long[n];
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
                if (turn > from && (turn - from) % every == 0 && (turn - from) / every <= n) rss[(turn - from) / every - 1] = rssKb();
            }
            System.gc();
            usedTo = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        }
        int k = Math.min(10, n / 2);
        long first = median(Arrays.copyOfRange(rss, 0, k)), last = median(Arrays.copyOfRange(rss, n - k, n));
        double growth = (last - first) / (double) first;
        System.out.printf("chat memory: %d turns in %.1f s; median VmRSS %d KB (turns %d-%d) → %d KB (turns %d-%d), %+.2f %%; live heap %d → %d KB%n",
                TURNS, (System.nanoTime() - t0) / 1e9, first, from + every, from + k * every, last, TURNS - (k - 1) * every, TURNS, 100 * growth,
                usedFrom >> 10, usedTo >> 10);
        assertTrue(first > 0, "reads VmRSS from /proc/self/status");
        assertTrue(growth < 0.05, "resident memory grew " + String.format("%.1f", 100 * growth) + " % between turn " + from + " and " + TURNS);
        assertTrue((usedTo - usedFrom) >> 10 < 0.05 * first, "live Java heap grew " + ((usedTo - usedFrom) >> 10) + " KB between turn " + from + " and " + TURNS);
    }
}
