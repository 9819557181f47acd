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
 * Resident memory (Java heap and libtorch's native memory both: the process's VmRSS) stays flat over many
 * chat turns in one process: the default model {@code models/tiny}, one session answering typed turns and
 * now and then a spoken one (heard through the joint CTC / LLM transcript), reset when its context fills.
 * {@code -Dauris.turns=10000} for the long run (docs/FUZZING.md).
 */
class ChatMemoryTest {
    static final int TURNS = Integer.getInteger("auris.turns", 2000);

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
        int from = TURNS / 4;
        long rssFrom = 0, mallocFrom = 0;
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
                }
            }
            System.gc();
            long rssTo = rssKb(), mallocTo = NativeMemory.mallocInUse();
            double growth = (rssTo - rssFrom) / (double) rssFrom;
            System.out.printf("chat memory: %d turns in %.1f s; VmRSS %d KB at turn %d → %d KB at turn %d (%+.2f %%); live malloc %d → %d KB%n",
                    TURNS, (System.nanoTime() - t0) / 1e9, rssFrom, from, rssTo, TURNS, 100 * growth, mallocFrom >> 10, mallocTo >> 10);
            assertTrue(rssFrom > 0, "reads VmRSS from /proc/self/status");
            assertTrue(growth < 0.05, "resident memory grew " + String.format("%.1f", 100 * growth) + " % between turn " + from + " and " + TURNS);
        }
    }
}
