package dev.auris.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.core.Home;
import dev.auris.llm.Llama2cConverter;
import dev.auris.train.synth.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/** A small synthesized data set and tiny copies of the repository's recipes, for tests that train for seconds. */
final class TrainFixtures {
    static final List<String> TEXTS = List.of(
            "Once upon a time there was a little girl named Lily.", "She loved to play outside in the park.", "One day she saw a big red ball.",
            "The dog ran to the tree.", "Tom and Sue went to the beach.", "The sun was hot and the sky was blue.", "Mom gave Lily a big hug.",
            "The cat sat on the mat.", "Ben found a shiny stone.", "They played all day and were happy.", "The bird sang a song.",
            "Lily wanted to help her friend.", "The little boy had a red car.", "He went to the store with his mom.", "The flower was very pretty.",
            "Tim was sad because he lost his toy.", "The girl saw a big fish in the pond.", "They ate cake at the party.", "The bunny hopped in the garden.",
            "Sara liked to draw pictures.", "The old man had a long beard.", "Max and his dad built a tall tower.", "The moon was bright at night.",
            "She gave the puppy a bone.");

    private static Path root;

    private TrainFixtures() {}

    /** stories260K (HF layout) and a data set synthesized from TEXTS, made once per test JVM. */
    static synchronized Path root() {
        if (root != null) return root;
        try {
            Path r = Files.createTempDirectory("auris-train-fixture");
            Path llm = r.resolve("stories260K");
            Llama2cConverter.convert(Home.resolve("assets/llm/stories260K/stories260K.bin"), Home.resolve("assets/llm/stories260K/tok512.bin"), llm);
            List<TtsEngine> engines = new ArrayList<>(List.of(new FreeTts()));
            if (new EspeakNg().available()) engines.addFirst(new EspeakNg());
            Synthesizer.run(new Synthesizer.Config(TEXTS, r.resolve("data"), engines, 1, 4, llm, 16, "Continue the story:", 1, Set.of(), false), m -> {});
            root = r;
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path llm() { return root().resolve("stories260K"); }

    static Path data() { return root().resolve("data"); }

    static Path encoder() { return Home.resolve("testdata/golden/whisper-tiny-random"); }

    /**
     * The repository recipe {@code name}, made tiny: no synthesis (the fixture data instead), the tiny random
     * encoder and stories260K, {@code steps} steps per stage, written to {@code dir}.
     */
    static Path tinyRecipe(String name, Path dir, int steps, Consumer<ObjectNode> edit) {
        try {
            ObjectMapper json = new ObjectMapper();
            ObjectNode r = (ObjectNode) json.readTree(Home.resolve("recipes/" + name + ".json").toFile());
            r.remove("synth");
            String text = r.toString().replace("$run/data/", data().toAbsolutePath() + "/");
            r = (ObjectNode) json.readTree(text);
            JsonNode compose = r.path("model").path("compose");
            if (compose.isObject()) {
                ((ObjectNode) compose).put("encoder", encoder().toString()).put("llm", llm().toString());
            }
            if (r.has("encoder")) ((ObjectNode) r.get("encoder")).put("vocabulary", llm().toString()).put("steps", steps).put("warmup_steps", 2);
            for (JsonNode s : (ArrayNode) r.withArray("stages")) {
                ((ObjectNode) s).put("steps", steps).put("warmup_steps", 2).put("eval_every", steps / 2).put("save_every", steps / 2).put("batch_size", 4);
            }
            if (r.has("voice")) toyVoice((ObjectNode) r.get("voice"), null);
            edit.accept(r);
            Files.createDirectories(dir);
            Path f = dir.resolve(name + ".json");
            Files.writeString(f, json.writerWithDefaultPrettyPrinter().writeValueAsString(r));
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A recipe's voice section at toy scale: 4 stories of prompts, 2 held-out spoken answers evaluated, a 16-unit
     * codebook, a one-layer speech decoder for 6 steps and a 32-channel vocoder for 4 (2 of them adversarial);
     * published into {@code publish} (null: not published, nor evaluated).
     */
    static void toyVoice(ObjectNode v, Path publish) {
        v.put("sample_llm", llm().toString()).put("sample_stories", 4).put("answer_tokens", 12).put("held_out_every", 3).put("eval_clips", 2);
        if (publish == null) v.putNull("publish");
        else v.put("publish", publish.toString());
        ((ObjectNode) v.get("units")).put("k", 16).put("iterations", 3);
        ((ObjectNode) v.get("decoder")).put("ctc_decoder_config", "(1,32,2,64)").put("steps", 6).put("batch_size", 4).put("warmup_steps", 1);
        ((ObjectNode) v.get("vocoder")).put("upsample_initial_channel", 32).put("embedding_dim", 16).put("dur_hidden", 16).put("disc_channels", 4)
                .put("steps", 4).put("adversarial_start", 2).put("adversarial_after_minutes", 0).put("batch_size", 2).put("segment_frames", 10);
    }

    /** Mean loss of the first n and last n steps of a stage's metrics.jsonl. */
    static double[] firstLast(Path stageDir, int n) {
        try {
            List<Double> l = new ArrayList<>();
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(stageDir.resolve("metrics.jsonl"))) l.add(json.readTree(line).get("loss").asDouble());
            double a = l.subList(0, n).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double b = l.subList(l.size() - n, l.size()).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            return new double[]{a, b};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, byte[]> snapshot(Map<String, org.bytedeco.pytorch.Tensor> tensors) {
        Map<String, byte[]> m = new java.util.LinkedHashMap<>();
        tensors.forEach((k, t) -> {
            var b = dev.auris.core.Torch.toBytes(t);
            byte[] a = new byte[b.remaining()];
            b.get(a);
            m.put(k, a);
        });
        return m;
    }
}
