package dev.auris.pipeline;

import dev.auris.audio.AudioClip;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * Brings a loaded model to its working pace before its first user: answers a clip in fresh conversations (hearing,
 * prefill, a few tokens) until the JIT has compiled what a turn runs. The hearing's search and the fused decode step
 * are Java (the Vector API): cold, the tiny default's first answer token came 80–190 ms after a clip's end, warm
 * ≈ 50 ms (AMD EPYC Zen 5, 2 threads). The JIT has settled when {@value #QUIET} answers in a row, over at least half a
 * second, add no compilation time; a time budget bounds the whole.
 */
public final class WarmUp {
    /** Answers in a row that must add no JIT compilation time. */
    static final int QUIET = 2;

    /** And the least time they must span: the total only grows when a compilation ends, and C2 can take that long. */
    static final long QUIET_NANOS = 500_000_000L;

    private WarmUp() {}

    /**
     * What a warm-up did: how many answers it gave, in how long, the first answer's and the last's time to its first
     * token (ms), and whether the JIT settled within the budget.
     */
    public record Result(int answers, double seconds, double firstTokenMsCold, double firstTokenMsWarm, boolean settled) {}

    /**
     * Answers {@code clip} until the JIT settles or {@code budget} passes (at least one answer; none for a zero budget).
     *
     * @param clip what to hear: a spoken sentence exercises the hearing's search as a user's will
     */
    public static Result run(SpeechLlm model, AudioClip clip, Duration budget) {
        if (budget.isNegative()) throw new IllegalArgumentException("a warm-up budget must be ≥ 0, got " + budget);
        if (budget.isZero()) return new Result(0, 0, 0, 0, false);
        double[] firstToken = {0, 0};                                       // the first answer's, the last's
        Settled s = untilSettled(budget, rounds -> {
            try (SpeechSession session = model.newSession()) {
                Event.Done d = session.respond(Turn.user(Turn.speech(clip)), SamplingOptions.greedy(4), e -> {});
                if (rounds == 0) firstToken[0] = d.firstTokenMs();
                firstToken[1] = d.firstTokenMs();
            }
        });
        return new Result(s.rounds(), s.seconds(), firstToken[0], firstToken[1], s.settled());
    }

    /** What {@link #untilSettled} did: rounds run, in how long, and whether the JIT settled within the budget. */
    public record Settled(int rounds, double seconds, boolean settled) {}

    /**
     * Runs {@code round} (given the rounds run before it) until the JIT settles — {@value #QUIET} rounds in a row, over at
     * least half a second, that add no compilation time — or {@code budget} passes; at least one round. Where the JVM
     * does not time its compilations, until the budget passes.
     */
    public static Settled untilSettled(Duration budget, java.util.function.IntConsumer round) {
        var jit = ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime(), deadline = start + budget.toNanos();
        long compiled = timed ? jit.getTotalCompilationTime() : 0;
        int rounds = 0, quiet = 0;
        long quietSince = start;
        while (true) {
            round.accept(rounds);
            rounds++;
            long now = timed ? jit.getTotalCompilationTime() : compiled + 1;
            if (now != compiled) {
                quiet = 0;
                quietSince = System.nanoTime();
            } else {
                quiet++;
            }
            compiled = now;
            if (settled(quiet, quietSince) || System.nanoTime() >= deadline) break;
        }
        return new Settled(rounds, (System.nanoTime() - start) / 1e9, settled(quiet, quietSince));
    }

    private static boolean settled(int quiet, long quietSince) {
        return quiet >= QUIET && System.nanoTime() - quietSince >= QUIET_NANOS;
    }
}
