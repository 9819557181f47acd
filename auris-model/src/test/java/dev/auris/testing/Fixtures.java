package dev.auris.testing;

import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.core.Home;
import dev.auris.llm.Llama2cConverter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Small real and random models for tests. */
public final class Fixtures {
    private Fixtures() {}

    /** stories260K converted to the HF layout under {@code dir} (the real pretrained tiny LLM, d=64). */
    public static Path stories260K(Path dir) {
        Path out = dir.resolve("stories260K");
        if (!Files.exists(out.resolve("model.safetensors"))) {
            Llama2cConverter.convert(Home.resolve("assets/llm/stories260K/stories260K.bin"), Home.resolve("assets/llm/stories260K/tok512.bin"), out);
        }
        return out;
    }

    /** The tiny random HF Whisper encoder (d=64, 2 layers, 80 mels). */
    public static Path whisperTiny() {
        return Golden.dir("whisper-tiny-random");
    }

    /** {@code seconds} of jfk.wav starting at {@code start} s. */
    public static AudioClip jfk(double start, double seconds) {
        AudioClip c = Audio.load(Home.resolve("assets/speech/jfk.wav"));
        int a = (int) (start * 16000), n = (int) (seconds * 16000);
        return new AudioClip(Arrays.copyOfRange(c.samples(), a, a + n), 16000);
    }

    /**
     * Runs {@code round} (given its index 0, 1, …) until a whole round passes with no JIT compilation time added (at most
     * {@code maxRounds}), and returns how many ran. A leak test measures memory after this: C2 compiling takes and
     * returns tens of MB of malloc'd arenas, which a fixed warm-up left in the measured window once the code under test
     * got fast.
     */
    public static int warmUntilJitSettles(java.util.function.IntConsumer round, int maxRounds) {
        var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        for (int n = 0; n < maxRounds; n++) {
            long compiled = jit.getTotalCompilationTime();
            round.accept(n);
            if (jit.getTotalCompilationTime() == compiled) return n + 1;
        }
        return maxRounds;
    }

    /**
     * Native memory in use for a leak test's samples: glibc's malloc'd bytes less the JVM's own share
     * ({@link dev.auris.core.NativeMemory#mallocOutsideJvm()}, which the tests' NMT flag enables), else all of it.
     * Only the former is steady while C2 compiles: its arenas and chunk pool moved the raw figure by +9 to −35 MB
     * within 20 rounds of a hearing test whose libraries' share moved by 23 kB.
     */
    public static long nativeInUse() {
        long outside = dev.auris.core.NativeMemory.mallocOutsideJvm();
        return outside >= 0 ? outside : dev.auris.core.NativeMemory.mallocInUse();
    }

    /** The median of the changes between consecutive samples (the upper one of an even count): a leak's steady growth, not a JIT's jumps. */
    public static long medianGrowth(long[] samples) {
        long[] deltas = new long[samples.length - 1];
        for (int i = 0; i < deltas.length; i++) deltas[i] = samples[i + 1] - samples[i];
        Arrays.sort(deltas);
        return deltas[deltas.length / 2];
    }
}
