package dev.auris.train;

import dev.auris.prompt.PromptSpec;
import dev.auris.core.DType;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechModelSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs a {@link Recipe}: composes or opens the starting model, then each stage in order, each from the
 * previous stage's output directory ({@code OUT/<stage>}); {@code OUT/final} is the last stage's model.
 * With {@code resume}, finished stages (those with an auris.json) are skipped and the running one continues
 * from its last checkpoint.
 */
public final class RecipeRunner {
    private RecipeRunner() {}

    /** A recipe path: {@code $run/...} inside the run directory, anything else relative to the recipe file. */
    static Path resolve(Path base, Path out, String p) {
        return p.startsWith("$run/") ? out.resolve(p.substring(5)) : base.resolve(p);
    }

    public static List<StageResult> run(Path recipeFile, Path out, boolean resume, Progress progress) {
        return run(recipeFile, out, resume, progress, (String) null);
    }

    /**
     * As {@link #run(Path, Path, boolean, Progress)}, starting at section {@code fromStage} (null: the first):
     * "synth", "encoder", a stage's name, "publish" or "voice", in that order. Sections before it are not run;
     * skipped stages are taken from their outputs in {@code out} (an earlier run's). {@code --from-stage voice}
     * gives an already-published model its voice without re-running anything before.
     */
    public static List<StageResult> run(Path recipeFile, Path out, boolean resume, Progress progress, String fromStage) {
        Optional<DataParallel> dp = DataParallel.fromEnvironment();
        try {
            return run(recipeFile, out, resume, dp.isPresent() && dp.get().rank() != 0 ? Progress.silent() : progress, dp.orElse(null), fromStage);
        } finally {
            dp.ifPresent(DataParallel::close);
        }
    }

    /** Runs the recipe as one rank of {@code dp} (null: a single process); rank 0 writes every output. */
    public static List<StageResult> run(Path recipeFile, Path out, boolean resume, Progress progress, DataParallel dp) {
        return run(recipeFile, out, resume, progress, dp, null);
    }

    /** The sections of a recipe in the order they run (for {@code fromStage}). */
    static List<String> sections(Recipe recipe) {
        List<String> s = new ArrayList<>(List.of("synth", "encoder"));
        recipe.stages().forEach(st -> s.add(st.name()));
        s.add("publish");
        s.add("voice");
        return s;
    }

    static List<StageResult> run(Path recipeFile, Path out, boolean resume, Progress progress, DataParallel dp, String fromStage) {
        boolean writer = dp == null || dp.rank() == 0;
        double earlier = 0; // seconds of work outside the stages' results: synthesis, or what earlier invocations of a resumed run did
        Recipe recipe = Recipe.read(recipeFile);
        List<String> order = sections(recipe);
        int from = fromStage == null ? 0 : order.indexOf(fromStage);
        if (from < 0) throw new IllegalArgumentException("--from-stage " + fromStage + ": recipe " + recipe.name() + " has the sections " + order);
        java.util.function.Predicate<String> skipped = name -> order.indexOf(name) < from;
        Path base = recipeFile.toAbsolutePath().getParent();
        java.util.function.Function<String, Path> paths = p -> resolve(base, out, p);
        List<StageResult> results = new ArrayList<>();
        if (dp != null && (recipe.synth() != null || recipe.encoder() != null)) {
            throw new IllegalArgumentException("run the synth/encoder sections in one process; data-parallel runs take recipes of training stages");
        }
        if (recipe.synth() != null && !skipped.test("synth")) {
            Path data = out.resolve("data");
            if (resume && Files.isRegularFile(data.resolve("split.json"))) {
                progress.message("data already synthesized: " + data);
                try {
                    earlier += new com.fasterxml.jackson.databind.ObjectMapper().readTree(data.resolve("summary.json").toFile()).path("seconds").asDouble();
                } catch (java.io.IOException e) {
                    // an older run without summary.json: its synthesis time is unknown
                }
            } else {
                long t = System.nanoTime();
                Synthesis.run(recipe.synth(), paths, data, progress);
                double seconds = (System.nanoTime() - t) / 1e9;
                dev.auris.io.AtomicFiles.writeString(data.resolve("summary.json"), "{\"seconds\": " + seconds + "}\n");
                earlier += seconds; // the model card's time counts the synthesis too, as a resumed run does
            }
        }
        if (recipe.encoder() != null && !skipped.test("encoder")) {
            StopRequest.check("encoder");
            Path enc = out.resolve("encoder");
            if (resume && Files.isRegularFile(enc.resolve("model.safetensors"))) {
                progress.message("encoder already pretrained: " + enc);
                results.add(new StageResult("encoder", TrainingResult.finished(enc, recipe.encoder().steps())));
            } else {
                Recipe.EncoderSpec e = recipe.encoder();
                try (var vocab = dev.auris.llm.TextModel.load(paths.apply(e.vocabulary()), DType.F32)) {
                    var r = EncoderPretrainer.run(new EncoderPretrainer.Config(e.dModel(), e.layers(), e.heads(), e.ffnDim(), e.nMels() == 0 ? 80 : e.nMels(),
                                    e.maxSeconds() == 0 ? 30 : e.maxSeconds(), e.steps(), e.batchSize(), e.lr(), e.warmupSteps(), e.weightDecay(), e.seed(), e.specAugment(), e.bf16(), e.heConvInit(), e.hop(), e.warpFactor(), e.augment()),
                            vocab.tokenizer(), e.train().stream().map(paths).toList(), e.heldOut() == null ? List.of() : e.heldOut().stream().map(paths).toList(), enc, progress, resume);
                    progress.message(String.format(java.util.Locale.ROOT, "encoder: CTC loss %.3f → %.3f in %.0f s (%.1f audio-s/s); held-out token error rate %.3f",
                            r.firstLoss(), r.lastLoss(), r.seconds(), r.audioSecondsPerSecond(), r.heldOutTokenErrorRate()));
                    var result = new TrainingResult(e.steps(), r.lastLoss(), r.firstLoss(), r.heldOutTokenErrorRate(), r.seconds(), 0, r.audioSecondsPerSecond(), Double.NaN);
                    result.record(enc);
                    results.add(new StageResult("encoder", result));
                }
            }
        }
        if (recipe.stages().isEmpty() || skipped.test("publish")) {
            if (recipe.voice() != null && writer) {
                StopRequest.check("voice");
                VoiceRunner.run(recipe.voice(), paths, out, resume, progress);
            }
            return results;
        }
        Path current;
        if (skipped.test(recipe.stages().getFirst().name())) {
            current = out.resolve(recipe.stages().getFirst().name());                     // replaced below by the last skipped stage
        } else if (recipe.model().from() != null) {
            current = paths.apply(recipe.model().from());
        } else {
            Map<String, Object> c = recipe.model().compose();
            current = out.resolve("base");
            if (!(resume && Files.isRegularFile(current.resolve("auris.json")))) {
                Map<String, Object> prompt = cast(c.get("prompt"));
                PromptSpec p = prompt == null ? PromptSpec.llamaOmni()
                        : new PromptSpec((String) prompt.get("template"), (String) prompt.get("system"), (String) prompt.get("instruction"),
                        (String) prompt.get("transcribe"), Boolean.TRUE.equals(prompt.get("add_bos")));
                if (dp != null) throw new IllegalArgumentException("data-parallel runs start from an existing model (model.from): compose it first");
                try (SpeechLlm m = SpeechLlm.compose(current, paths.apply(String.valueOf(c.get("encoder"))), paths.apply(String.valueOf(c.get("llm"))),
                        cast(c.getOrDefault("selector", Map.of("type", "final"))), cast(c.get("connector")), p,
                        Boolean.TRUE.equals(c.get("pad_30s")), ((Number) c.getOrDefault("seed", 0)).longValue(), DType.F32)) {
                    progress.message("composed " + current);
                }
            }
        }
        for (StageConfig stage : recipe.stages()) {
            StopRequest.check(stage.name());
            Path dir = out.resolve(stage.name());
            if (skipped.test(stage.name())) {
                if (!Files.isRegularFile(dir.resolve("auris.json"))) throw new IllegalArgumentException("--from-stage " + fromStage + ": stage " + stage.name() + " has no output in " + dir);
                current = dir;
                continue;
            }
            if (resume && Files.isRegularFile(dir.resolve("auris.json"))) {
                progress.message("stage " + stage.name() + " already done: " + dir);
                results.add(new StageResult(stage.name(), TrainingResult.finished(dir, stage.steps())));
                current = dir;
                continue;
            }
            try (SpeechLlm m = SpeechLlm.load(current, DType.F32, stage.train().contains("lora") ? stage.lora() : null, stage.seed())) {
                TrainingResult r = new Trainer(stage, dir, paths, progress).dataParallel(dp).run(m, resume);
                if (writer) {
                    m.save(dir, stage.train().contains("llm"), stage.train().contains("encoder"));
                    r.record(dir);
                }
                if (dp != null) dp.barrier(); // the next stage loads what rank 0 wrote
                results.add(new StageResult(stage.name(), r));
                progress.message(String.format(java.util.Locale.ROOT, "stage %s: loss %.4f → %.4f%s in %.1f s; wrote %s", stage.name(), r.firstLoss(), r.trainLoss(),
                        Double.isNaN(r.validationLoss()) ? "" : String.format(java.util.Locale.ROOT, " (validation %.4f)", r.validationLoss()), r.seconds(), dir));
            }
            current = dir;
        }
        if (recipe.publish() != null && writer) {
            StopRequest.check("publish");
            double total = earlier;
            for (var r : results) total += r.result().seconds();
            var report = Publisher.publish(recipe, recipe.publish(), out, current, paths, results, total, progress);
            progress.message(String.format(java.util.Locale.ROOT, "held-out: WER %.1f %%, agreement %.1f %%, perplexity %.3f -> %.3f",
                    100 * report.wer(), 100 * report.agreement(), report.basePerplexity(), report.modelPerplexity()));
        }
        if (recipe.voice() != null && writer) {
            StopRequest.check("voice");
            VoiceRunner.run(recipe.voice(), paths, out, resume, progress);
        }
        return results;
    }

    /** {@code java -cp ... dev.auris.train.RecipeRunner RECIPE OUT [--resume] [--from-stage NAME]}: a recipe without the CLI. */
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: RecipeRunner RECIPE OUT [--resume] [--from-stage NAME]");
            System.exit(2);
        }
        int status = 0;
        try {                                                               // Ctrl-C / SIGTERM stops at a step boundary
            List<String> rest = List.of(args).subList(2, args.length);
            int f = rest.indexOf("--from-stage");
            if (StopRequest.run("", () -> run(Path.of(args[0]), Path.of(args[1]), rest.contains("--resume"), Progress.silent(), f >= 0 ? rest.get(f + 1) : null))) {
                status = 143;                                               // as a process ended by SIGTERM
            }
        } catch (Throwable t) {
            t.printStackTrace();
            status = 1;
        }
        // A rank's work is on disk (every write atomic) once run returns: end the process without the JVM's
        // shutdown, where JavaCPP's deallocators and libtorch's c10d / Gloo threads tear down native memory
        // in no fixed order. That teardown aborted a finished rank now and then ("corrupted double-linked
        // list", exit 134, about 1 run in 6 of DataParallelTest); the operating system frees the memory anyway.
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        return o == null ? null : new LinkedHashMap<>((Map<String, Object>) o);
    }
}
