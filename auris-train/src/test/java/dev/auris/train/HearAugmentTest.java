package dev.auris.train;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.prompt.PromptSpec;
import dev.auris.train.data.Example;
import dev.auris.train.data.Manifest;
import dev.auris.train.data.MelAugment;
import dev.auris.train.data.Sequences;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A stage's hear_augment: a training draw hears its clips warped and masked (a function of the draw's random
 * stream), validation and the random-less path hear them as they are, and a recipe stage with it parses and trains.
 */
class HearAugmentTest {
    @TempDir
    Path tmp;

    @Test
    void trainingDrawsHearAugmentedClipsAndValidationHearsThemClean() {
        List<Example> ex = Manifest.read(TrainFixtures.data().resolve("train/asr.jsonl"), false).examples().subList(0, 3);
        try (SpeechLlm m = SpeechLlm.compose(tmp.resolve("m"), TrainFixtures.encoder(), TrainFixtures.llm(), Map.of("type", "final"),
                Map.of("type", "linear", "k", 2), new PromptSpec(null, null, null, true), false, 1, DType.F32);
             Sequences plain = new Sequences(m, true);
             Sequences aug = new Sequences(m, true, new MelAugment(0.1, 0.3));
             var guard = new NoGradGuard(); PointerScope scope = new PointerScope()) {
            float[] clean = Torch.toFloats(plain.batch(ex, false).inputs());
            assertArrayEquals(clean, Torch.toFloats(aug.batch(ex, false).inputs()), "without a random stream (validation) the clips are heard as they are");
            var a = aug.batch(ex, false, new SplittableRandom(7));
            var again = aug.batch(ex, false, new SplittableRandom(7));
            var other = aug.batch(ex, false, new SplittableRandom(8));
            assertArrayEquals(Torch.toFloats(a.inputs()), Torch.toFloats(again.inputs()), "the same draw hears the same augmentation");
            assertFalse(java.util.Arrays.equals(Torch.toFloats(a.inputs()), Torch.toFloats(other.inputs())), "another draw hears another");
            assertFalse(java.util.Arrays.equals(clean, Torch.toFloats(a.inputs())), "an augmented draw differs from the clean clips");
            // the answer tokens and labels are the text's, untouched
            assertEquals(plain.batch(ex, false).answerTokens(), a.answerTokens());
            assertArrayEquals(Torch.toFloats(plain.batch(List.of(ex.getFirst()), false, new SplittableRandom(7)).inputs()),
                    Torch.toFloats(plain.batch(List.of(ex.getFirst()), false).inputs()), "a builder without augmentation ignores the random stream");
        }
    }

    @Test
    void aRecipeStageWithHearAugmentParsesAndTrains() throws Exception {
        Path run = tmp.resolve("run");
        Path recipe = TrainFixtures.tinyRecipe("llasm", tmp, 6, r -> ((com.fasterxml.jackson.databind.node.ObjectNode) r.withArray("stages").get(0))
                .putObject("hear_augment").put("warp", 0.1).put("spec_augment", 0.2));
        assertEquals(new MelAugment(0.1, 0.2), Recipe.read(recipe).stages().getFirst().hearAugment());
        assertNull(Recipe.read(recipe).stages().get(1).hearAugment(), "a stage without it hears clips as they are");
        var results = RecipeRunner.run(recipe, run, false, Progress.silent());
        assertFalse(results.isEmpty());
        assertTrue(Files.size(run.resolve(results.getFirst().stage()).resolve("metrics.jsonl")) > 0);
    }

    @Test
    void outOfRangeSettingsAreClearErrors() {
        var e = assertThrows(IllegalArgumentException.class, () -> new MelAugment(0.1, 1.5));
        assertTrue(e.getMessage().contains("hear_augment.spec_augment"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MelAugment(0.7, 0.1));
        assertTrue(e.getMessage().contains("hear_augment.warp"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new StageConfig("d", "dpo", List.of("lora"), null,
                List.of(new StageConfig.DataSource("x", 1)), null, 2, 1, 1, 0.1, 0, 0.1, 0, 1, 0, 0, 0, 1, 0, 0, List.of(), new MelAugment(0.1, 0.1)));
        assertTrue(e.getMessage().contains("hear_augment needs objective sft"), e.getMessage());
    }
}
