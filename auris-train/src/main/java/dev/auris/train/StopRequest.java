package dev.auris.train;

import java.time.Duration;

/**
 * Ctrl-C or SIGTERM during training, handled at a step boundary: the running {@link TrainingLoop} finishes its step,
 * saves a checkpoint and stops ({@link Stopped}), and {@code --resume} continues from there. The JVM's shutdown
 * would otherwise run C++'s static destructors (libtorch's thread pools and allocator) while the loop is inside a
 * backward pass: a SIGTERM once crashed the JVM in libtorch's GELU backward. {@link #runStarted()} installs a shutdown hook that makes a shutdown
 * wait until the command has stopped and closed what it holds: at most {@link #WAIT} while a loop trains, else
 * {@link #BETWEEN} (a recipe stops before its next section; synthesis, which runs engines for minutes, does not wait).
 * Data-parallel ranks agree on the step they stop at (one all-reduce a step).
 */
public final class StopRequest {
    /** The longest a shutdown waits for the running step and its checkpoint. */
    static final Duration WAIT = Duration.ofSeconds(120);

    /** {@link #WAIT} in seconds, for a launcher that waits for its ranks' own stops. */
    public static final long WAIT_SECONDS = WAIT.toSeconds();

    /** The longest it waits when no loop trains (a model's load or save between sections; synthesis does not stop). */
    static final Duration BETWEEN = Duration.ofSeconds(10);

    private static final Object LOCK = new Object();
    private static boolean requested, hooked;
    private static int loops, runs;

    private StopRequest() {}

    /** A run stopped on request: between two steps of a stage (its checkpoint saved when it keeps them), or between two sections. */
    public static final class Stopped extends RuntimeException {
        Stopped(String stage, int step, boolean saved) {
            super(step == 0 ? "stopped on request before the first step of stage '" + stage + "'"
                    : "stopped on request after step " + step + " of stage '" + stage + "'"
                    + (saved ? ": checkpoint saved, --resume continues from it" : " (this stage keeps no checkpoints: --resume starts it again)"));
        }

        Stopped(String section) {
            super("stopped on request before section '" + section + "': --resume continues from it");
        }
    }

    /** Throws {@link Stopped} if a stop was asked for: a recipe checks between its sections. */
    static void check(String nextSection) {
        if (requested()) throw new Stopped(nextSection);
    }

    /** Registers, once per JVM, the shutdown hook that asks the running loop to stop and waits for it. */
    private static void installHook() {
        synchronized (LOCK) {
            if (hooked) return;
            hooked = true;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> requestAndWait(WAIT, BETWEEN), "auris-train-stop"));
    }

    /**
     * Asks every running loop to stop at its next step boundary and every run to stop before its next section; returns
     * once the runs (or, with none marked, the loops) have ended, or after {@code training} when a loop was training,
     * {@code between} when none was.
     */
    static boolean requestAndWait(Duration training, Duration between) {
        synchronized (LOCK) {
            requested = true;
            long deadline = System.nanoTime() + (loops > 0 ? training : between).toNanos();
            while (runs > 0 || loops > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                try {
                    LOCK.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** Whether a stop was asked for. */
    static boolean requested() {
        synchronized (LOCK) {
            return requested;
        }
    }

    /** A loop starts (it then checks {@link #requested()} after each step). */
    static void enter() {
        synchronized (LOCK) {
            loops++;
        }
    }

    /** A loop has left its last step (finished, stopped or failed). */
    static void exit() {
        synchronized (LOCK) {
            loops--;
            LOCK.notifyAll();
        }
    }

    /** A command's run starts: a shutdown that stops its loop waits until the command has unwound and said so. */
    public static void runStarted() {
        installHook();
        synchronized (LOCK) {
            runs++;
        }
    }

    /** A command's run has ended (call in a finally, after its last words). */
    public static void runEnded() {
        synchronized (LOCK) {
            runs--;
            LOCK.notifyAll();
        }
    }

    /**
     * Runs a command's body as a run ({@link #runStarted} … {@link #runEnded}, its output flushed before a waiting
     * shutdown may go on): a stop it ends in is said on stderr after {@code prefix}; true when it stopped.
     */
    public static boolean run(String prefix, Runnable body) {
        runStarted();
        try {
            body.run();
            return false;
        } catch (Stopped s) {
            System.err.println(prefix + s.getMessage());
            return true;
        } finally {
            System.out.flush();
            System.err.flush();
            runEnded();
        }
    }

    /** Forgets a request (tests that stop a loop and go on in the same JVM). */
    static void clear() {
        synchronized (LOCK) {
            requested = false;
        }
    }
}
