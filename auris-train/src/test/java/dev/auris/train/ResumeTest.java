package dev.auris.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A run killed with SIGKILL at random moments (mid-step, mid-checkpoint, mid-save of the stage's weights:
 * wherever the clock falls, not only at step boundaries) and resumed with {@code --resume} each time ends
 * with every weight file byte-identical to an uninterrupted run's. {@code -Dauris.kills=20} for the long
 * run (docs/FUZZING.md has its result); {@code -Dauris.killSeed=S} repeats a schedule.
 */
class ResumeTest {
    static final int KILLS = Integer.getInteger("auris.kills", 3);
    static final long SEED = Long.getLong("auris.killSeed", System.currentTimeMillis());

    @TempDir
    Path tmp;

    Process child(Path recipe, Path out, boolean resume, String log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                RecipeRunner.class.getName(), recipe.toString(), out.toString()));
        if (resume) cmd.add("--resume");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(log).toFile());
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        return pb.start();
    }

    /** Every weight file of the run (checkpoints aside) by its path in the run. */
    static TreeMap<String, byte[]> weights(Path run) throws IOException {
        TreeMap<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(run)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".safetensors") && !run.relativize(p).toString().contains("checkpoints")).toList()) {
                out.put(run.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    static String latestCheckpoint(Path run) {
        try (Stream<Path> s = Files.walk(run)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d+")).map(p -> run.relativize(p).toString()).sorted().reduce((a, b) -> b).orElse("none");
        } catch (IOException | UncheckedIOException e) {
            return "?";
        }
    }

    @Test
    void sigkillAtRandomPointsAndResumeIsBitIdentical() throws Exception {
        Path recipe = TrainFixtures.tinyRecipe("voicetextblender", tmp, 30, r -> {
            ((com.fasterxml.jackson.databind.node.ObjectNode) r.withArray("stages").get(0)).put("save_every", 4).put("keep_last", 3);
        });
        Path straight = tmp.resolve("straight");
        long t0 = System.nanoTime();
        Process s = child(recipe, straight, false, "straight.log");
        assertTrue(s.waitFor(300, TimeUnit.SECONDS) && s.exitValue() == 0, "uninterrupted run: " + Files.readString(tmp.resolve("straight.log")));
        long whole = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        TreeMap<String, byte[]> expected = weights(straight);
        assertFalse(expected.isEmpty());

        Random rnd = new Random(SEED);
        List<String> kills = new ArrayList<>();
        int trial = 0;
        while (kills.size() < KILLS) {
            Path run = tmp.resolve("killed-" + trial);
            for (int attempt = 0; kills.size() < KILLS; attempt++) {
                long at = 500 + (long) (rnd.nextDouble() * whole * 0.9); // JVM start, data loading, steps, checkpoints, the final save
                Process p = child(recipe, run, attempt > 0, "killed-" + trial + "-" + attempt + ".log");
                if (p.waitFor(at, TimeUnit.MILLISECONDS)) {
                    assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("killed-" + trial + "-" + attempt + ".log")));
                    break; // finished before the kill: compare this run, start another
                }
                p.destroyForcibly(); // SIGKILL
                p.waitFor();
                kills.add("trial " + trial + " kill " + attempt + " at " + at + " ms (latest checkpoint " + latestCheckpoint(run) + ")");
            }
            RecipeRunner.run(recipe, run, true, Progress.silent());
            TreeMap<String, byte[]> got = weights(run);
            assertEquals(expected.keySet(), got.keySet(), "weight files after resume, seed " + SEED);
            for (String f : expected.keySet()) {
                assertArrayEquals(expected.get(f), got.get(f), f + " after " + kills + ", seed " + SEED);
            }
            trial++;
        }
        System.out.println("ResumeTest: uninterrupted " + whole + " ms; " + kills.size() + " SIGKILLs over " + trial + " runs, all resumed bit-identical (seed "
                + SEED + "):\n  " + String.join("\n  ", kills));
    }

    /**
     * SIGTERM (what Ctrl-C's and a service manager's stop send) while a stage trains: the running step ends, a checkpoint
     * of the steps done is saved, the process exits without a JVM crash, and {@code --resume} ends byte-identical to an
     * uninterrupted run. The signal is sent once the loop has written its first checkpoint (so it lands mid-loop).
     */
    @Test
    void sigtermStopsAtAStepBoundaryWithACheckpointAndResumesBitIdentical() throws Exception {
        Path recipe = TrainFixtures.tinyRecipe("voicetextblender", tmp, 40, r -> {
            ((com.fasterxml.jackson.databind.node.ObjectNode) r.withArray("stages").get(0)).put("save_every", 4).put("keep_last", 10);
        });
        Path straight = tmp.resolve("straight-term");
        Process s = child(recipe, straight, false, "straight-term.log");
        assertTrue(s.waitFor(300, TimeUnit.SECONDS) && s.exitValue() == 0, "uninterrupted run: " + Files.readString(tmp.resolve("straight-term.log")));
        TreeMap<String, byte[]> expected = weights(straight);
        for (int attempt = 0; ; attempt++) {
            Path run = tmp.resolve("term-" + attempt);
            String log = "term-" + attempt + ".log";
            Process p = child(recipe, run, false, log);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (p.isAlive() && !latestCheckpoint(run).contains("step-") && System.nanoTime() < deadline) Thread.sleep(5);
            p.destroy();                                                                            // SIGTERM
            assertTrue(p.waitFor(150, TimeUnit.SECONDS), "the process ends after SIGTERM");
            String out = Files.readString(tmp.resolve(log));
            assertFalse(out.contains("SIGSEGV") || out.contains("hs_err") || out.contains("A fatal error"), out);
            var stopped = java.util.regex.Pattern.compile("stopped on request after step (\\d+) of stage '[^']+': checkpoint saved").matcher(out);
            if (!stopped.find()) {
                assertTrue(attempt < 3 && p.exitValue() == 0, "no stop after SIGTERM (exit " + p.exitValue() + "): " + out);
                continue;                                                                           // it finished before the signal: again
            }
            int step = Integer.parseInt(stopped.group(1));
            assertTrue(latestCheckpoint(run).endsWith(String.format("step-%07d", step)),
                    "stopped after step " + step + ", latest checkpoint " + latestCheckpoint(run));
            StopRequest.clear();
            RecipeRunner.run(recipe, run, true, Progress.silent());
            TreeMap<String, byte[]> got = weights(run);
            assertEquals(expected.keySet(), got.keySet());
            for (String f : expected.keySet()) assertArrayEquals(expected.get(f), got.get(f), f + " after a SIGTERM at step " + step);
            System.out.println("ResumeTest: SIGTERM stopped the run after step " + step + " (exit " + p.exitValue() + "); resumed bit-identical");
            return;
        }
    }
}
