package dev.auris.train;

import java.time.Duration;

/**
 * Ctrl-C or SIGTERM during training, handled at a step boundary: the running {@link TrainingLoop} finishes its step,
 * saves a checkpoint and stops ({@link Stopped}), and {@code --resume} continues from there. The JVM's shutdown
 * would otherwise run C++'s static destructors (libtorch's thread pools and allocator) while the loop is inside a
 * backward pass: a SIGTERM once crashed the JVM in libtorch's GELU backward. {@link #installHook()} makes a shutdown
 * that comes while a loop trains wait (at most {@link #WAIT}) until the run has stopped and closed what it holds;
 * outside a loop (synthesis, evaluation) it waits for nothing.
 */
public final class StopRequest {
    /** The longest a shutdown waits for the running step and its checkpoint. */
    static final Duration WAIT = Duration.ofSeconds(120);

    private static final Object LOCK = new Object();
    private static boolean requested, hooked;
    private static int loops, runs;

    private StopRequest() {}

    /** A run stopped on request after step {@code step} of stage {@code stage}, its checkpoint saved when {@code saved}. */
    public static final class Stopped extends RuntimeException {
        Stopped(String stage, int step, boolean saved) {
            super("stopped on request after step " + step + " of stage '" + stage + "'"
                    + (saved ? ": checkpoint saved, --resume continues from it" : " (this stage keeps no checkpoints: --resume starts it again)"));
        }
    }

    /** Registers, once per JVM, the shutdown hook that asks the running loop to stop and waits for it. */
    public static void installHook() {
        synchronized (LOCK) {
            if (hooked) return;
            hooked = true;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> requestAndWait(WAIT), "auris-train-stop"));
    }

    /**
     * Asks every running loop to stop at its next step boundary. If one was training, returns once the runs (or, with
     * none marked, the loops) have ended, or after {@code max}; else at once.
     */
    static boolean requestAndWait(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (LOCK) {
            requested = true;
            boolean training = loops > 0;
            while (training && (runs > 0 || loops > 0)) {
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

    /** Forgets a request (tests that stop a loop and go on in the same JVM). */
    static void clear() {
        synchronized (LOCK) {
            requested = false;
        }
    }
}
