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
    static final int TURNS = Integer.getInteger("auris.turns", 300);

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

    @Test
    void residentMemoryIsFlatOverManyTurns() {
        AudioClip story = Audio.load(Home.resolve("examples/story-3.wav"));
        AudioClip clip = new AudioClip(Arrays.copyOf(story.samples(), Math.min(story.samples().length, 2 * 16000)), 16000);
        String[] texts = {"Once upon a time", "The cat sat on the", "Lily wanted to play", "He saw a big red"};
        int from = TURNS / 3;
        long rssFrom = 0, mallocFrom = 0, heapFrom = 0, usedFrom = 0;
        long t0 = System.nanoTime();
        try (SpeechLlm m = SpeechLlm.load(Home.resolve("models/tiny"), DType.F32); SpeechSession s = m.newSession()) {
            int max = m.llm().config().maxPositionEmbeddings();
            for (int turn = 1; turn <= TURNS; turn++) {
                if (s.position() > max - 64) s.reset();
                Turn user = turn % 50 == 0 ? Turn.user(Turn.speech(clip)) : Turn.user(Turn.text(texts[turn % texts.length]));
                s.respond(user, SamplingOptions.greedy(8), e -> {});
                if (turn % 50 == 0) {
                    System.out.printf("turn %d: VmRSS %d KB, heap committed %d KB, live malloc %d KB%n", turn, rssKb(), Runtime.getRuntime().totalMemory() >> 10,
                            NativeMemory.mallocInUse() >> 10);
                }
                if (turn == from) {
                    System.gc();
                    rssFrom = rssKb();
                    mallocFrom = NativeMemory.mallocInUse();
                    heapFrom = Runtime.getRuntime().totalMemory() >> 10;
                    usedFrom = heapFrom - (Runtime.getRuntime().freeMemory() >> 10);
                }
            }
            System.gc();
            long rssTo = rssKb(), mallocTo = NativeMemory.mallocInUse();
            long heapTo = Runtime.getRuntime().totalMemory() >> 10, usedTo = heapTo - (Runtime.getRuntime().freeMemory() >> 10);
            // The JVM may commit more heap between the two points without any leak (G1 sizes its heap to its
            // pause goals), so the resident memory outside the committed heap — libtorch, malloc, threads,
            // code — is what must stay flat, and the heap's live data after a full GC.
            long nativeFrom = rssFrom - heapFrom, nativeTo = rssTo - heapTo;
            double growth = (nativeTo - nativeFrom) / (double) nativeFrom;
            System.out.printf("chat memory: %d turns in %.1f s; turn %d → %d: VmRSS %d → %d KB, outside the heap %d → %d KB (%+.2f %%), live heap %d → %d KB, live malloc %d → %d KB%n",
                    TURNS, (System.nanoTime() - t0) / 1e9, from, TURNS, rssFrom, rssTo, nativeFrom, nativeTo, 100 * growth, usedFrom, usedTo, mallocFrom >> 10, mallocTo >> 10);
            assertTrue(rssFrom > 0, "reads VmRSS from /proc/self/status");
            assertTrue(growth < 0.05, "resident memory outside the Java heap grew " + String.format("%.1f", 100 * growth) + " % between turn " + from + " and " + TURNS);
            assertTrue(usedTo - usedFrom < 0.05 * rssFrom, "live Java heap grew " + (usedTo - usedFrom) + " KB between turn " + from + " and " + TURNS);
        }
    }
}
