package dev.auris.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.auris.train.Recipe;
import dev.auris.train.data.Manifest;

import java.nio.file.Path;

/**
 * What a training run reads before it starts: a recipe (synth, encoder, model, stages, publish) and a
 * training manifest's examples (tasks, messages, audio references, DPO pairs): validated data or an
 * {@code IllegalArgumentException} naming the field or the line. Seeds: {@code recipes/*.json} and the
 * README's manifest lines ({@code RecipeFuzzTestInputs/}).
 */
class RecipeFuzzTest {
    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void recipe(byte[] bytes) {
        Path file = Refusals.file("recipe.json", bytes);
        Refusals.refuseCleanly(() -> Recipe.read(file));
    }

    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void trainingManifest(byte[] bytes) {
        Path file = Refusals.file("train.jsonl", bytes);
        Refusals.refuseCleanly(() -> Manifest.read(file, true));
    }
}
