package dev.auris.fuzz;

import dev.auris.audio.AudioException;
import dev.auris.io.CheckpointException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a parser of outside bytes may do with hostile input besides succeed: refuse it with one of
 * Auris's own exceptions, whose message names the problem. Anything else — an
 * {@code ArrayIndexOutOfBoundsException}, a {@code NumberFormatException}, an {@code OutOfMemoryError},
 * a native crash — escapes to the fuzzer as a finding.
 */
public final class Refusals {
    private Refusals() {}

    /** Runs {@code parse}; a refusal with a message passes, every other throwable propagates. */
    public static void refuseCleanly(Runnable parse) {
        try {
            parse.run();
        } catch (AudioException | CheckpointException | UncheckedIOException e) {
            requireMessage(e);
        } catch (IllegalArgumentException e) {
            if (e instanceof NumberFormatException) throw e; // a parse error leaking out, not a refusal
            requireMessage(e);
        }
    }

    /**
     * {@code bytes} as the file {@code name} in a folder of its own (reused: one fuzz target runs in one
     * thread), for readers that take a path.
     */
    public static Path file(String name, byte[] bytes) {
        try {
            if (dir == null) dir = Files.createTempDirectory("auris-fuzz-");
            Path p = dir.resolve(name);
            Files.write(p, bytes);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path dir;

    private static void requireMessage(RuntimeException e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) throw new AssertionError("refused without saying why", e);
    }
}
