package dev.auris.train;

import dev.auris.core.Torch;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.train.data.BatchSampler;
import dev.auris.train.data.Example;
import dev.auris.train.data.Manifest;
import dev.auris.train.data.Sequences;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.*;

/**
 * Runs one {@link StageConfig} on a {@link SpeechLlm}: loads the stage's manifests, freezes all but the
 * components it trains, and runs its objective ({@link Sft} or {@link Dpo}) in the {@link TrainingLoop}
 * (which holds the optimizer, schedule, accumulation, clipping, validation, metrics and checkpoints).
 */
public final class Trainer {
    private final StageConfig cfg;
    private final Path out;
    private final java.util.function.Function<String, Path> paths;
    private final Progress progress;
    private DataParallel dp;
    private int ranks = 1;

    /** @param paths resolves the stage's manifest paths */
    public Trainer(StageConfig cfg, Path out, java.util.function.Function<String, Path> paths, Progress progress) {
        this.cfg = cfg;
        this.out = out;
        this.paths = paths;
        this.progress = progress;
    }

    /** Runs this stage as one rank of a data-parallel group: slices of each global batch, gradients summed. */
    public Trainer dataParallel(DataParallel group) {
        this.dp = group;
        return this;
    }

    /** Computes each batch as {@code n} data-parallel ranks would, in this one process (see {@link TrainingLoop#asRanks}). */
    public Trainer asRanks(int n) {
        this.ranks = n;
        return this;
    }

    /** The tensors the stage trains, by name; everything else in the model is frozen. */
    public static Map<String, Tensor> trainable(SpeechLlm m, List<String> components) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        Map<String, Tensor> fusion = m.trainableTensors();
        for (String c : components) {
            switch (c) {
                case "selector" -> fusion.forEach((n, x) -> { if (n.startsWith("selector.")) t.put(n, x); });
                case "connector" -> fusion.forEach((n, x) -> { if (n.startsWith("connector.")) t.put(n, x); });
                case "lora" -> m.llm().loraTensors().forEach((n, x) -> t.put("lora." + n, x));
                case "llm" -> m.text().llm().baseTensors().forEach((n, x) -> t.put("llm." + n, x));
                case "encoder" -> m.encoder().tensors().forEach((n, x) -> t.put("encoder." + n, x));
                case "speech_decoder" -> { } // not part of a SpeechLlm: the voice section trains it (VoiceRunner)
                default -> throw new IllegalArgumentException("unknown component " + c);
            }
        }
        return t;
    }

    /** Every tensor of the model (for freezing and for bit-identity checks). */
    public static Map<String, Tensor> all(SpeechLlm m) {
        return trainable(m, List.of("selector", "connector", "lora", "llm", "encoder"));
    }

    /** Trains the stage into {@code model} (in place); with {@code resume}, from the stage's last checkpoint. */
    public TrainingResult run(SpeechLlm model, boolean resume) {
        Torch.init();
        List<List<Example>> sources = new ArrayList<>();
        double[] weights = new double[cfg.data().size()];
        for (int i = 0; i < weights.length; i++) {
            var src = cfg.data().get(i);
            sources.add(load(src.manifest()));
            weights[i] = src.weight();
        }
        List<Example> validation = new ArrayList<>();
        for (var v : cfg.validation()) validation.addAll(load(v.manifest()));
        Map<String, Tensor> params = trainable(model, cfg.train());
        if (params.isEmpty()) throw new IllegalArgumentException("stage " + cfg.name() + ": the components " + cfg.train() + " have no trainable tensors in this model");
        all(model).values().forEach(t -> t.requires_grad_(false));
        boolean encoderFrozen = !cfg.train().contains("encoder");
        BatchSampler sampler = new BatchSampler(sources, weights, cfg.batchSize(), cfg.seed());
        try (StageData data = new StageData(cfg, model, new Sequences(model, encoderFrozen, cfg.hearAugment()), sampler, validation)) {
            Objective objective = cfg.objective().equals("dpo") ? new Dpo(data, params, sources) : new Sft(data, params);
            return new TrainingLoop(cfg, out, progress, TrainingLoop.Options.STAGE).dataParallel(dp).asRanks(ranks).run(objective, resume);
        }
    }

    private List<Example> load(String manifest) {
        Path p = paths.apply(manifest);
        var loaded = Manifest.read(p, false);
        if (loaded.examples().isEmpty()) throw new IllegalArgumentException("manifest " + p + " has no examples");
        return loaded.examples();
    }
}
