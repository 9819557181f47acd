package dev.auris.train.synth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an engine's program and says plainly what failed. */
final class Processes {
    private Processes() {}

    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String d : path.split(":")) if (Files.isExecutable(Path.of(d, program))) return true;
        return false;
    }

    static void run(List<String> command, int timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command.getFirst() + " timed out after " + timeoutSeconds + " s");
            }
            if (p.exitValue() != 0) throw new IllegalStateException(command.getFirst() + " failed (exit " + p.exitValue() + "): " + out.strip());
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.getFirst() + ": " + e.getMessage()
                    + " (install it: apt-get install " + command.getFirst() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
