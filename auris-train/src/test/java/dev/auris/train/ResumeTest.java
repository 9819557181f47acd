package dev.auris.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** A run killed with SIGKILL mid-training and resumed ends with parameters bit-identical to an uninterrupted run. */
class ResumeTest {
    @TempDir
    Path tmp;

    @Test
    void sigkillAndResumeIsBitIdentical() throws Exception {
        Path recipe = TrainFixtures.tinyRecipe("voicetextblender", tmp, 40, r -> {
            ((com.fasterxml.jackson.databind.node.ObjectNode) r.withArray("stages").get(0)).put("save_every", 5).put("keep_last", 3);
        });
        Path straight = tmp.resolve("straight");
        RecipeRunner.run(recipe, straight, false, Progress.silent());

        Path killed = tmp.resolve("killed");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                RecipeRunner.class.getName(), recipe.toString(), killed.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        Path ckpts = killed.resolve("joint-sft/checkpoints");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (Files.isDirectory(ckpts) && Files.isRegularFile(ckpts.resolve("step-0000015/state.json"))) break;
            Thread.sleep(20);
        }
        assertTrue(p.isAlive(), "the child finished before it could be killed: " + Files.readString(tmp.resolve("child.log")));
        p.destroyForcibly(); // SIGKILL
        p.waitFor();
        assertFalse(Files.exists(killed.resolve("joint-sft/auris.json")), "killed before the end");

        RecipeRunner.run(recipe, killed, true, Progress.silent());
        for (String f : List.of("fusion.safetensors", "lora.safetensors")) {
            assertArrayEquals(Files.readAllBytes(straight.resolve("joint-sft").resolve(f)), Files.readAllBytes(killed.resolve("joint-sft").resolve(f)),
                    f + " after SIGKILL + resume");
        }
    }
}
