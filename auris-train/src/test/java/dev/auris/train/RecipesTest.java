package dev.auris.train;

import dev.auris.prompt.PromptSpec;
import dev.auris.core.DType;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechModelSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every recipe of recipes/ runs end to end on tiny configs (the fixture data, a tiny random encoder,
 * stories260K) and its loss falls: mean of the last 5 steps ≤ 0.8 × mean of the first 3 (0.9 for the
 * encoder's CTC, which starts from random features).
 */
class RecipesTest {
    @TempDir
    Path tmp;

    static void assertFalls(Path stageDir, double factor) {
        double[] fl = TrainFixtures.firstLast(stageDir, 3);
        double[] last5 = TrainFixtures.firstLast(stageDir, 5);
        assertTrue(last5[1] <= factor * fl[0], stageDir.getFileName() + ": loss " + fl[0] + " → " + last5[1] + " did not fall by the factor " + factor);
        assertTrue(Files.isRegularFile(stageDir.resolve("loss.png")), "loss curve");
        try { // throughput of the toy-scale run, for the record (not asserted: speed is for benchmarks)
            var lines = Files.readAllLines(stageDir.resolve("metrics.jsonl"));
            var last = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines.getLast());
            System.out.printf(java.util.Locale.ROOT, "recipe stage %s: loss %.3f -> %.3f, %.0f tokens/s, %.1f audio-s/s%n", stageDir.getFileName(), fl[0], last5[1],
                    last.path("tokens_per_s").asDouble(), last.path("audio_s_per_s").asDouble());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void llasmTwoStages() {
        Path run = tmp.resolve("llasm");
        var results = RecipeRunner.run(TrainFixtures.tinyRecipe("llasm", tmp, 40, r -> {}), run, false, Progress.silent());
        assertEquals(2, results.size());
        assertFalls(run.resolve("stage1-alignment"), 0.8);
        assertFalls(run.resolve("stage2-instruction"), 0.8);
        try (SpeechLlm m = SpeechLlm.load(run.resolve("stage2-instruction"), DType.F32)) {
            assertTrue(m.lora().isPresent(), "stage 2 trains LoRA adapters");
            assertEquals(List.of("q_proj", "k_proj", "v_proj", "o_proj"), m.lora().get().targets());
        }
        // resumed after it finished, the run trains nothing and reports what its stages measured, exactly
        assertEquals(results, RecipeRunner.run(TrainFixtures.tinyRecipe("llasm", tmp, 40, r -> {}), run, true, Progress.silent()));
    }

    @Test
    void llamaOmniStage1TrainsConnectorAndFullLlm() {
        Path run = tmp.resolve("omni");
        RecipeRunner.run(TrainFixtures.tinyRecipe("llama-omni", tmp, 30, r -> {}), run, false, Progress.silent());
        Path out = run.resolve("stage1-speech-instructions");
        assertFalls(out, 0.8);
        assertTrue(Files.isRegularFile(out.resolve("llm/model.safetensors")), "full LLM fine-tuning writes the LLM");
        assertEquals("llm", SpeechModelSpec.read(out).llm().path());
        // stage 2 (the voice section, toy scale): the speech decoder on the stage-1 model, LLM frozen, and the vocoder
        for (String f : new String[]{"voice/data/train.jsonl", "voice/units/codebook.safetensors", "voice/decoder/model.safetensors", "voice/decoder/config.json",
                "voice/vocoder/model.safetensors", "voice/vocoder/result.json"}) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f);
        }
    }

    @Test
    void voiceTextBlenderJointSft() {
        Path run = tmp.resolve("vtb");
        var results = RecipeRunner.run(TrainFixtures.tinyRecipe("voicetextblender", tmp, 40, r -> {}), run, false, Progress.silent());
        assertFalls(run.resolve("joint-sft"), 0.8);
        assertTrue(results.getFirst().result().tokensPerSecond() > 0);
    }

    @Test
    void everyShippedRecipeParsesAndIsNamedAfterItsFile() throws java.io.IOException {
        List<Path> files;
        try (var list = Files.list(dev.auris.core.Home.resolve("recipes"))) {
            files = list.filter(f -> f.toString().endsWith(".json")).sorted().toList();
        }
        assertTrue(files.size() >= 8, files.toString());
        for (Path f : files) {
            Recipe r = Recipe.read(f);
            assertEquals(f.getFileName().toString().replace(".json", ""), r.name(), f.toString());
            if (r.encoder() != null) {
                assertTrue(r.encoder().hop() > 0 && r.encoder().warpFactor() >= 0, f.toString());
            }
            if (r.synth() != null && r.synth().heldOutEngines() != null) {
                // a held-out engine is one the recipe synthesizes, or nothing would measure it
                assertTrue(r.synth().engines().containsAll(r.synth().heldOutEngines()), f.toString());
            }
        }
    }

    @Test
    void encoderCtcPretraining() throws java.io.IOException {
        Path run = tmp.resolve("ctc");
        Path recipe = TrainFixtures.tinyRecipe("encoder-ctc", tmp, 30, r -> {
            ((com.fasterxml.jackson.databind.node.ObjectNode) r.get("encoder")).put("d_model", 64).put("layers", 2).put("heads", 2).put("ffn_dim", 128).put("lr", 0.003);
        });
        var log = new java.io.ByteArrayOutputStream();
        var results = RecipeRunner.run(recipe, run, false, new Progress(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8), false));
        assertFalls(run.resolve("encoder"), 0.9);
        // the held-out curve: validated every fifth of the 30 steps, a CTC loss in the metrics and each set's token error rate in the log
        var validated = new java.util.ArrayList<Integer>();
        for (String line : Files.readAllLines(run.resolve("encoder/metrics.jsonl"))) {
            var row = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
            if (row.has("val_loss")) {
                assertTrue(Double.isFinite(row.get("val_loss").asDouble()) && row.get("val_loss").asDouble() > 0, line);
                validated.add(row.get("step").asInt());
            }
        }
        assertEquals(List.of(6, 12, 18, 24, 30), validated);
        String text = log.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.contains("encoder step 30: held-out token error rate heldout/asr.jsonl "), text);
        double ter = results.getFirst().result().validationLoss();
        assertTrue(ter >= 0 && ter <= 1.5, "held-out token error rate " + ter);
        // a resumed run reports the encoder's own figures, its held-out token error rate among them
        assertEquals(results, RecipeRunner.run(recipe, run, true, Progress.silent()));
        assertTrue(Files.isRegularFile(run.resolve("encoder/config.json")));
        try (var enc = dev.auris.encoder.WhisperEncoder.load(run.resolve("encoder"), DType.F32)) {
            assertEquals(64, enc.config().dModel());
        }
    }

    @Test
    void encoderCtcPretrainingAtHop320() {
        Path run = tmp.resolve("ctc-hop320");
        RecipeRunner.run(TrainFixtures.tinyRecipe("encoder-ctc", tmp, 30, r -> {
            ((com.fasterxml.jackson.databind.node.ObjectNode) r.get("encoder")).put("d_model", 64).put("layers", 2).put("heads", 2).put("ffn_dim", 128).put("lr", 0.003)
                    .put("hop_length", 320);
        }), run, false, Progress.silent());
        assertFalls(run.resolve("encoder"), 0.9);
        // 30 s at 20 ms frames, halved by conv2: 750 positions; the hop travels in the HF feature extractor's file
        try (var enc = dev.auris.encoder.WhisperEncoder.load(run.resolve("encoder"), DType.F32); var scope = new org.bytedeco.javacpp.PointerScope()) {
            assertEquals(320, enc.config().hopLength());
            assertEquals(750, enc.config().maxSourcePositions());
            var clip = new dev.auris.audio.AudioClip(new float[16000], 16000);
            var h = enc.encode(enc.config().features().compute(clip), false).lastHidden();
            assertArrayEquals(new long[]{1, 25, 64}, dev.auris.core.Torch.shape(h), "1 s of audio is 25 positions at hop 320");
        }
        var bad = TrainFixtures.tinyRecipe("encoder-ctc", tmp.resolve("bad-hop"), 1, r -> ((com.fasterxml.jackson.databind.node.ObjectNode) r.get("encoder")).put("hop_length", 333));
        var e = assertThrows(IllegalArgumentException.class, () -> RecipeRunner.run(bad, tmp.resolve("bad-hop-run"), false, Progress.silent()));
        assertTrue(e.getMessage().contains("encoder.hop_length 333"), e.getMessage());
    }

    @Test
    void encoderCtcPretrainingWithHeInitialisedConvStem() {
        Path run = tmp.resolve("ctc-he");
        RecipeRunner.run(TrainFixtures.tinyRecipe("encoder-ctc", tmp, 30, r -> {
            ((com.fasterxml.jackson.databind.node.ObjectNode) r.get("encoder")).put("d_model", 64).put("layers", 2).put("heads", 2).put("ffn_dim", 128).put("lr", 0.003)
                    .put("init", "he-conv").put("steps", 1).put("warmup_steps", 0);
        }), run, false, Progress.silent());
        // one step (an Adam update of ~3e-3 per weight): the saved weights are still the initialisation; conv1 [64, 80, 3] is N(0, 2 / 240), a linear layer stays N(0, 0.02^2)
        try (var w = dev.auris.io.SafeTensors.open(run.resolve("encoder/model.safetensors"))) {
            assertEquals(Math.sqrt(2.0 / 240), std(w.data("model.encoder.conv1.weight").asFloatBuffer()), 0.005);
            assertEquals(0.02, std(w.data("model.encoder.layers.0.fc1.weight").asFloatBuffer()), 0.002);
        }
        var bad = TrainFixtures.tinyRecipe("encoder-ctc", tmp.resolve("bad"), 1, r -> ((com.fasterxml.jackson.databind.node.ObjectNode) r.get("encoder")).put("init", "xavier"));
        var e = assertThrows(IllegalArgumentException.class, () -> RecipeRunner.run(bad, tmp.resolve("bad-run"), false, Progress.silent()));
        assertTrue(e.getMessage().contains("encoder.init 'xavier'"), e.getMessage());
    }

    private static double std(java.nio.FloatBuffer b) {
        double s = 0, s2 = 0;
        int n = b.remaining();
        for (int i = 0; i < n; i++) {
            s += b.get(i);
            s2 += (double) b.get(i) * b.get(i);
        }
        return Math.sqrt(s2 / n - (s / n) * (s / n));
    }

    @Test
    void encoderCtcPretrainingUnderBf16Autocast() {
        Path run = tmp.resolve("ctc-bf16");
        RecipeRunner.run(TrainFixtures.tinyRecipe("encoder-ctc", tmp, 30, r -> {
            ((com.fasterxml.jackson.databind.node.ObjectNode) r.get("encoder")).put("d_model", 64).put("layers", 2).put("heads", 2).put("ffn_dim", 128).put("lr", 0.003)
                    .put("precision", "bf16");
        }), run, false, Progress.silent());
        assertFalls(run.resolve("encoder"), 0.9);
        try (var enc = dev.auris.encoder.WhisperEncoder.load(run.resolve("encoder"), DType.F32)) {
            assertEquals(DType.F32, enc.dtype(), "float32 master weights are what is saved");
        }
    }

    @Test
    void stage1KeepsEncoderAndLlmBitIdentical() {
        Path model = tmp.resolve("frozen-base");
        try (SpeechLlm m = SpeechLlm.compose(model, TrainFixtures.encoder(), TrainFixtures.llm(), Map.of("type", "final"),
                Map.of("type", "linear", "k", 2), new PromptSpec(null, null, null, true), false, 1, DType.F32)) {
            var before = TrainFixtures.snapshot(Trainer.trainable(m, List.of("llm", "encoder")));
            var connectorBefore = TrainFixtures.snapshot(Trainer.trainable(m, List.of("connector")));
            StageConfig stage = new StageConfig("stage1", "sft", List.of("connector"), null,
                    List.of(new StageConfig.DataSource(TrainFixtures.data().resolve("train/asr.jsonl").toString(), 1)), null,
                    12, 4, 1, 0.003, 2, 0.1, 0, 1, 0, 0, 0, 1, 0, 0);
            new Trainer(stage, tmp.resolve("frozen-run"), Path::of, Progress.silent()).run(m, false);
            var after = TrainFixtures.snapshot(Trainer.trainable(m, List.of("llm", "encoder")));
            assertEquals(before.keySet(), after.keySet());
            for (String k : before.keySet()) assertArrayEquals(before.get(k), after.get(k), k + " must stay frozen");
            var connectorAfter = TrainFixtures.snapshot(Trainer.trainable(m, List.of("connector")));
            assertFalse(java.util.Arrays.equals(connectorBefore.get("connector.proj.weight"), connectorAfter.get("connector.proj.weight")), "the connector trains");
        }
    }

    @Test
    void dpoRaisesTheMarginAndKeepsTheReference() {
        Path model = tmp.resolve("dpo-base");
        try (SpeechLlm m = SpeechLlm.compose(model, TrainFixtures.encoder(), TrainFixtures.llm(), Map.of("type", "final"),
                Map.of("type", "linear", "k", 2), new PromptSpec(null, null, null, true), false, 1, DType.F32)) {
            // the reference is the starting model: base LLM, connector as composed
        }
        Path run = tmp.resolve("dpo");
        var results = RecipeRunner.run(TrainFixtures.tinyRecipe("dpo", tmp, 30, r -> {
            ((com.fasterxml.jackson.databind.node.ObjectNode) r.get("model")).put("from", model.toString());
            ((com.fasterxml.jackson.databind.node.ObjectNode) r.withArray("stages").get(0)).put("lr", 0.005);
        }), run, false, Progress.silent());
        var metrics = TrainFixtures.firstLast(run.resolve("dpo"), 3);
        assertTrue(metrics[1] < metrics[0], "DPO loss falls: " + metrics[0] + " → " + metrics[1]);
        double[] margins = marginFirstLast(run.resolve("dpo"));
        assertTrue(margins[1] > margins[0], "chosen-minus-rejected log-prob margin rises: " + margins[0] + " → " + margins[1]);
        // the reference (the starting model) is untouched on disk and in its weights
        try (SpeechLlm ref = SpeechLlm.load(model, DType.F32)) {
            assertTrue(ref.lora().isEmpty());
        }
        assertTrue(results.getFirst().result().dpoMargin() > margins[0]);
    }

    static double[] marginFirstLast(Path stageDir) {
        try {
            var lines = Files.readAllLines(stageDir.resolve("metrics.jsonl"));
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            double a = 0, b = 0;
            for (int i = 0; i < 3; i++) a += json.readTree(lines.get(i)).get("dpo_margin").asDouble() / 3;
            for (int i = lines.size() - 3; i < lines.size(); i++) b += json.readTree(lines.get(i)).get("dpo_margin").asDouble() / 3;
            return new double[]{a, b};
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
