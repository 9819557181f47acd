package dev.auris.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.core.Torch;
import dev.auris.io.AtomicFiles;
import dev.auris.io.Checkpoint;
import dev.auris.core.DType;
import dev.auris.io.SafeTensorsWriter;
import dev.auris.io.TensorInfo;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.train.eval.Evaluator;
import dev.auris.train.eval.Report;
import dev.auris.train.synth.Synthesizer;
import org.bytedeco.javacpp.PointerScope;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.*;

/**
 * The publish step of a recipe: turns the last stage into a self-contained model directory (its own
 * encoder, the LLM by relative path, fusion and LoRA weights), with a held-out evaluation subset, example
 * clips, the evaluation report and a model card. The directory is built beside the target and renamed
 * into place.
 */
final class Publisher {
    private Publisher() {}

    /**
     * Gives a published model its voice: copies the speech decoder ({@code config.json} + {@code model.safetensors}),
     * the vocoder (the same two) and the unit codebook ({@code codebook.safetensors} + {@code units.json}) into
     * {@code target/speech/{decoder,vocoder,units}} and adds auris.json's section
     * {@code "speech": {"decoder": "speech/decoder", "vocoder": "speech/vocoder", "units": "speech/units", "omega": Ω}}.
     */
    static void speech(Path target, Path decoder, Path vocoder, Path units, int omega) {
        try {
            Path speech = target.resolve("speech");
            for (String[] part : new String[][]{{"decoder", "config.json", "model.safetensors"}, {"vocoder", "config.json", "model.safetensors"},
                    {"units", "codebook.safetensors", "units.json"}}) {
                Path from = switch (part[0]) {
                    case "decoder" -> decoder;
                    case "vocoder" -> vocoder;
                    default -> units;
                };
                Files.createDirectories(speech.resolve(part[0]));
                for (int i = 1; i < part.length; i++) {
                    Files.copy(from.resolve(part[i]), speech.resolve(part[0]).resolve(part[i]), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            ObjectMapper json = new ObjectMapper();
            ObjectNode aur = (ObjectNode) json.readTree(target.resolve("auris.json").toFile());
            aur.putObject("speech").put("decoder", "speech/decoder").put("vocoder", "speech/vocoder").put("units", "speech/units").put("omega", omega);
            AtomicFiles.writeString(target.resolve("auris.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(aur) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Report publish(Recipe recipe, Recipe.PublishSpec spec, Path out, Path lastStage, java.util.function.Function<String, Path> paths,
                                    List<StageResult> results, double totalSeconds, Progress progress) {
        try {
            Path target = paths.apply(spec.to()).toAbsolutePath().normalize();
            Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
            Checkpoints.deleteTree(tmp);
            Files.createDirectories(tmp);
            ObjectMapper json = new ObjectMapper();
            ObjectNode aur = (ObjectNode) json.readTree(lastStage.resolve("auris.json").toFile());
            Path encoder = lastStage.resolve(aur.path("encoder").path("path").asText()).normalize();
            Path llm = lastStage.resolve(aur.path("llm").path("path").asText()).toAbsolutePath().normalize();
            copyFiles(encoder, tmp.resolve("encoder"), f -> !f.equals("metrics.jsonl") && !f.equals("loss.png"));
            if (spec.encoderStorage() != DType.F32) storeAs(tmp.resolve("encoder/model.safetensors"), spec.encoderStorage());
            ((ObjectNode) aur.get("encoder")).put("path", "encoder");
            ((ObjectNode) aur.get("llm")).put("path", target.relativize(llm).toString());
            for (String f : spec.shipsAdapters() ? List.of("fusion.safetensors", "lora.safetensors") : List.of("fusion.safetensors")) {
                if (Files.exists(lastStage.resolve(f))) Files.copy(lastStage.resolve(f), tmp.resolve(f));
            }
            boolean dropped = !spec.shipsAdapters() && aur.has("lora");
            if (dropped) aur.remove("lora");
            AtomicFiles.writeString(tmp.resolve("auris.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(aur) + "\n");
            Path data = out.resolve("data");
            List<String[]> examples = bundleHeldOut(data.resolve("heldout"), tmp.resolve("eval/heldout"), spec.heldOutExamples());
            boolean unseen = Files.isRegularFile(data.resolve(Synthesizer.HELD_OUT_ENGINE).resolve("asr.jsonl"));
            if (unseen) bundleHeldOut(data.resolve(Synthesizer.HELD_OUT_ENGINE), tmp.resolve("eval").resolve(Synthesizer.HELD_OUT_ENGINE), spec.heldOutExamples());
            Checkpoints.deleteTree(target);
            Files.move(tmp, target);
            if (spec.examples() != null) writeExamples(paths.apply(spec.examples()), target.resolve("eval/heldout"), examples, spec.exampleCount());
            progress.message("published " + target + "; evaluating on " + spec.heldOutExamples() + " held-out examples");
            Report report;
            try (SpeechLlm m = SpeechLlm.load(target, DType.F32)) {
                report = Evaluator.run(m, target.resolve("eval/heldout"), spec.agreementTokens(), 0, target.resolve("eval"), "models/" + target.getFileName() + " on held-out voices and sentences");
                if (unseen) {
                    progress.message("evaluating on the voices of the held-out engines");
                    Evaluator.run(m, target.resolve("eval").resolve(Synthesizer.HELD_OUT_ENGINE), spec.agreementTokens(), 0, target.resolve(UNSEEN_ENGINE),
                            "models/" + target.getFileName() + " on engines it never trained on (held-out sentences)");
                }
            }
            if (dropped) { // the adapters left out, measured on the same held-out data
                progress.message("evaluating the last stage with its LoRA adapters (not shipped) on the same held-out examples");
                try (SpeechLlm m = SpeechLlm.load(lastStage, DType.F32)) {
                    Evaluator.run(m, target.resolve("eval/heldout"), spec.agreementTokens(), 0, target.resolve(WITH_ADAPTERS),
                            lastStage.getFileName() + " with its LoRA adapters (not shipped), on the same held-out data");
                }
            }
            writeCard(recipe, target, data, results, totalSeconds, report, spec, dropped ? lastStage.getFileName().toString() : null);
            return report;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Rewrites a safetensors file with every floating tensor stored as {@code dtype} (loading upcasts to the
     * dtype asked for, so the evaluation below measures the model as shipped).
     */
    private static void storeAs(Path file, DType dtype) {
        Map<String, SafeTensorsWriter.Entry> w = new LinkedHashMap<>();
        try (Checkpoint c = Checkpoint.of(file.getParent(), List.of(file)); PointerScope scope = new PointerScope()) {
            for (String n : c.names()) {
                TensorInfo info = c.info(n);
                DType d = info.dtype().isFloatingPoint() ? dtype : info.dtype();
                w.put(n, new SafeTensorsWriter.Entry(d, info.shape(), Torch.toBytes(c.tensor(n, d, info.shape()))));
            }
        }
        SafeTensorsWriter.write(file, w, Map.of("format", "pt", "note", "stored as " + dtype.safetensorsName() + " by auris publish"));
    }

    private static void copyFiles(Path from, Path to, java.util.function.Predicate<String> keep) throws IOException {
        Files.createDirectories(to);
        try (var s = Files.list(from)) {
            for (Path p : s.toList()) {
                if (Files.isRegularFile(p) && keep.test(p.getFileName().toString())) Files.copy(p, to.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** The first n held-out ASR lines, the sqa/text lines of the same clips and texts, and their clips. Returns (clip, text) pairs. */
    private static List<String[]> bundleHeldOut(Path from, Path to, int n) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Files.createDirectories(to.resolve("clips"));
        List<String> asr = Files.readAllLines(from.resolve("asr.jsonl")).stream().filter(l -> !l.isBlank()).limit(n).toList();
        Set<String> clips = new LinkedHashSet<>();
        List<String[]> pairs = new ArrayList<>();
        for (String l : asr) {
            JsonNode j = json.readTree(l);
            String clip = j.path("messages").path(0).path("content").path(0).path("audio").asText();
            clips.add(clip);
            pairs.add(new String[]{clip, j.path("messages").path(1).path("content").asText(), j.path("voice").asText()});
        }
        for (String c : clips) Files.copy(from.resolve(c), to.resolve(c), StandardCopyOption.REPLACE_EXISTING);
        StringBuilder sqa = new StringBuilder(), text = new StringBuilder();
        if (Files.exists(from.resolve("sqa.jsonl"))) {
            for (String l : Files.readAllLines(from.resolve("sqa.jsonl"))) {
                if (!l.isBlank() && clips.contains(json.readTree(l).path("messages").path(0).path("content").path(0).path("audio").asText())) sqa.append(l).append('\n');
            }
        }
        Set<String> texts = new HashSet<>();
        for (String[] p : pairs) texts.add(p[1]);
        if (Files.exists(from.resolve("text.jsonl"))) {
            for (String l : Files.readAllLines(from.resolve("text.jsonl"))) {
                if (!l.isBlank() && texts.contains(json.readTree(l).path("messages").path(0).path("content").path(0).path("text").asText())) text.append(l).append('\n');
            }
        }
        Files.write(to.resolve("asr.jsonl"), (String.join("\n", asr) + "\n").getBytes());
        Files.writeString(to.resolve("sqa.jsonl"), sqa.toString());
        Files.writeString(to.resolve("text.jsonl"), text.toString());
        return pairs;
    }

    private static void writeExamples(Path dir, Path heldOut, List<String[]> pairs, int count) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        Map<String, String> answers = new HashMap<>(); // clip -> what the text LLM continues from the typed text
        if (Files.exists(heldOut.resolve("sqa.jsonl"))) {
            for (String l : Files.readAllLines(heldOut.resolve("sqa.jsonl"))) {
                if (l.isBlank()) continue;
                JsonNode j = json.readTree(l);
                answers.put(j.path("messages").path(0).path("content").path(0).path("audio").asText(), j.path("messages").path(1).path("content").asText());
            }
        }
        StringBuilder md = new StringBuilder("# Example clips\n\nSynthesized speech of held-out sentences in held-out voices (never trained on), "
                + "from the tiny recipe's data. Try: `./auris chat --audio examples/story-1.wav` or `./auris transcribe examples/*.wav`. "
                + "The last column is the answer to expect from `chat`: what stories260K continues when the same text is typed.\n\n"
                + "| file | text | voice | the text LLM's continuation of the typed text |\n|---|---|---|---|\n");
        Set<String> used = new HashSet<>();
        int k = 0;
        for (String[] p : pairs) { // one clip per sentence
            if (k == count || !used.add(p[1])) continue;
            String name = "story-" + (++k) + ".wav";
            Files.copy(heldOut.resolve(p[0]), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            md.append("| `").append(name).append("` | ").append(p[1]).append(" | ").append(p[2]).append(" | ")
                    .append(answers.getOrDefault(p[0], "").strip().replace("\n", " ").replace("|", "\\|")).append(" |\n");
        }
        Files.writeString(dir.resolve("README.md"), md.toString());
    }

    /** What a stage of the recipe trains: "connector", "lora", ...; the encoder pretraining trains the encoder and its CTC head. */
    private static String trains(Recipe recipe, String stage) {
        if (stage.equals("encoder")) return "encoder + CTC head (from scratch)";
        return stageConfig(recipe, stage).map(c -> String.join(", ", c.train())).orElse("");
    }

    /** A stage's manifests by file name with their weights, e.g. "asr 3, repeat 2, text 2 (distilled from the base LLM)". */
    private static String mixture(Recipe recipe, String stage) {
        if (stage.equals("encoder")) return "asr (CTC on the transcript)";
        var cfg = stageConfig(recipe, stage);
        if (cfg.isEmpty()) return "";
        var weight = new java.text.DecimalFormat("0.##", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT));
        StringBuilder b = new StringBuilder();
        for (var d : cfg.get().data()) {
            String task = Path.of(d.manifest()).getFileName().toString().replaceFirst("\\.jsonl$", "");
            if (!b.isEmpty()) b.append(", ");
            b.append(task).append(' ').append(weight.format(d.weight()));
            if (cfg.get().distillTasks() != null && cfg.get().distillTasks().contains(task)) b.append(" (distilled from the base LLM)");
        }
        return b.toString();
    }

    private static Optional<StageConfig> stageConfig(Recipe recipe, String stage) {
        return recipe.stages().stream().filter(c -> c.name().equals(stage)).findFirst();
    }

    /** Where the evaluation on the held-out engines' voices goes, inside the model directory (its data: eval/heldout-engine). */
    static final String UNSEEN_ENGINE = "eval/unseen-engine";

    /** Where the evaluation of the adapters that were not shipped goes, inside the model directory. */
    static final String WITH_ADAPTERS = "eval/with-adapters";

    private static void writeCard(Recipe recipe, Path target, Path data, List<StageResult> results, double totalSeconds, Report r, Recipe.PublishSpec spec,
                                  String droppedFrom) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode split = json.readTree(data.resolve("split.json").toFile());
        long trainClips = Files.readAllLines(data.resolve("train/asr.jsonl")).stream().filter(l -> !l.isBlank()).count();
        long heldClips = Files.readAllLines(data.resolve("heldout/asr.jsonl")).stream().filter(l -> !l.isBlank()).count();
        StringBuilder md = new StringBuilder();
        md.append("# models/").append(target.getFileName()).append(" — the embedded default speech LLM\n\n");
        md.append(recipe.description()).append("\n\nBuilt by `./auris train --recipe recipes/").append(recipe.name()).append(".json --out runs/").append(recipe.name())
                .append("` on 2 CPU cores in ").append(String.format(Locale.ROOT, "%.0f min", totalSeconds / 60)).append(" end to end (data synthesis and training; the evaluation below not counted).\n\n");
        JsonNode aur = json.readTree(target.resolve("auris.json").toFile());
        md.append("## Parts\n\n- LLM: stories260K (llama2.c, MIT; real pretrained TinyStories model), unchanged, referenced at `")
                .append(aur.path("llm").path("path").asText())
                .append(droppedFrom == null ? (Files.isRegularFile(target.resolve("lora.safetensors")) ? "`; LoRA adapters in `lora.safetensors`.\n"
                                : "`, without adapters (no stage of the recipe trains LoRA).\n")
                        : "`, without adapters: the LoRA adapters stage " + droppedFrom + " trains are not shipped (the recipe's publish.adapters is false); "
                        + "the card's last section measures them.\n");
        var enc = dev.auris.encoder.WhisperConfig.read(target.resolve("encoder/config.json"));
        md.append(String.format(Locale.ROOT, "- Encoder: Whisper architecture (d_model %d, %d layers, %d heads, FFN %d, %d mels every %d ms, %d positions a second) pretrained here from scratch with CTC over stories260K's 512-token vocabulary (`encoder/`, weights stored as %s).%n",
                enc.dModel(), enc.layers(), enc.heads(), enc.ffnDim(), enc.numMelBins(),
                enc.hopLength() * 1000 / dev.auris.features.LogMel.SAMPLE_RATE, dev.auris.features.LogMel.SAMPLE_RATE / enc.hopLength() / 2, spec.encoderStorage().safetensorsName().toLowerCase(Locale.ROOT)));
        md.append("- Connector: ").append(aur.path("connector")).append(" (`fusion.safetensors`)").append(aur.has("decoding") ? "; decoding: " + aur.get("decoding") : "").append(".\n\n");
        Map<String, int[]> engines = new TreeMap<>(); // engine -> {train voices, held-out voices}
        for (JsonNode v : split.path("train_voices")) engines.computeIfAbsent(v.asText().split(":")[0], k -> new int[2])[0]++;
        for (JsonNode v : split.path("heldout_voices")) engines.computeIfAbsent(v.asText().split(":")[0], k -> new int[2])[1]++;
        StringBuilder byEngine = new StringBuilder();
        engines.forEach((e, n) -> byEngine.append(byEngine.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%s %d + %d", e, n[0], n[1])));
        long texts = Files.readAllLines(data.resolve("texts.txt")).stream().filter(l -> !l.isBlank()).count();
        md.append("## Data\n\n").append(String.format(Locale.ROOT, "%d training clips and %d held-out clips of %d distinct sentences, synthesized from sentences of stories sampled from stories260K. "
                + "Voices: %d for training, %d held out (%s). Engines (train + held-out voices): %s. A clip's voice is drawn %s.%s\n\n", trainClips, heldClips, texts,
                split.path("train_voices").size(), split.path("heldout_voices").size(), split.path("rule").asText(), byEngine,
                split.path("voice_sampling").asText("voices").equals("engines") ? "by engine first (each engine equally often), then one of its voices" : "uniformly from all voices",
                split.has("heldout_engine_voices") ? String.format(Locale.ROOT, " Held-out engines: %s (%d voices, never trained on).",
                        split.path("heldout_engines").toString(), split.path("heldout_engine_voices").size()) : ""));
        md.append("## Training\n\n| stage | trains | data (mixing weight) | steps | loss first → last | time |\n|---|---|---|---|---|---|\n");
        for (var s : results) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %.3f → %.3f | %.1f min |%n", s.stage(), trains(recipe, s.stage()), mixture(recipe, s.stage()),
                    s.result().steps(), s.result().firstLoss(), s.result().trainLoss(), s.result().seconds() / 60));
        }
        md.append("\n## Evaluation (held-out sentences and voices, `eval/heldout`)\n\n");
        md.append(reportSection(target, "eval"));
        md.append("\nRe-run: `./auris eval --model models/").append(target.getFileName()).append("`.\n");
        if (Files.isRegularFile(target.resolve(UNSEEN_ENGINE + "/report.md"))) {
            List<String> held = new ArrayList<>();
            split.path("heldout_engines").forEach(e -> held.add(e.asText()));
            md.append("\n## Evaluation on engines never trained on (").append(String.join(", ", held)).append(": all their voices, held-out sentences, `eval/")
                    .append(Synthesizer.HELD_OUT_ENGINE).append("`)\n\n");
            md.append(reportSection(target, UNSEEN_ENGINE));
            md.append("\nRe-run: `./auris eval --model models/").append(target.getFileName()).append(" --data models/").append(target.getFileName())
                    .append("/eval/").append(Synthesizer.HELD_OUT_ENGINE).append("`.\n");
        }
        if (droppedFrom != null) {
            md.append("\n## The same evaluation with stage ").append(droppedFrom).append("'s LoRA adapters (not shipped, `").append(WITH_ADAPTERS).append("`)\n\n");
            md.append(reportSection(target, WITH_ADAPTERS).replaceFirst("\n## Samples[\\s\\S]*", "\n"));
        }
        Files.writeString(target.resolve("README.md"), md.toString());
    }

    /** An evaluation report (dir/report.md, relative to the model) as a card section: its title dropped, its chart linked from the card. */
    private static String reportSection(Path target, String dir) throws IOException {
        return Files.readString(target.resolve(dir + "/report.md")).replaceFirst("^# .*\\n\\n", "").replace("(report.png)", "(" + dir + "/report.png)");
    }
}
