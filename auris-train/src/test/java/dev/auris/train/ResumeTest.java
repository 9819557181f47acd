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
}
