package dev.auris.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.auris.io.ManifestFile;
import dev.auris.train.Recipe;
import dev.auris.train.data.Manifest;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * What a training run reads before it starts: a recipe (synth, encoder, model, stages, publish) and a
 * training manifest's examples (tasks, messages, audio references, DPO pairs): validated data or an
 * {@code IllegalArgumentException} naming the field or the line. Bytes are parsed in memory. Seeds:
 * {@code recipes/*.json} and the README's manifest lines ({@code RecipeFuzzTestInputs/}).
 */
class RecipeFuzzTest {
    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void recipe(byte[] bytes) {
        Refusals.refuseCleanly(() -> Recipe.parse(Path.of("recipe.json"), bytes));
    }

    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void trainingManifest(byte[] bytes) {
        var lines = new String(bytes, StandardCharsets.UTF_8).lines().toList();
        Refusals.refuseCleanly(() -> Manifest.read(ManifestFile.parse(Path.of("/nonexistent/train.jsonl"), lines), true));
    }
}
