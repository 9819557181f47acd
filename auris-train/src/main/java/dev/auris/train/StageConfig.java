package dev.auris.train;

import dev.auris.llm.LoraSpec;
import dev.auris.train.data.MelAugment;

import java.util.List;
import java.util.Set;

/**
 * One training stage of a recipe: what trains, on which data, with which optimisation settings.
 *
 * @param objective   "sft" (next-token loss on the answer tokens only), "dpo" (preference pairs, frozen reference) or
 *                    "unit-ctc" (the speech decoder's CTC over the answer speech's units, the LLM frozen: a voice section's stage)
 * @param train       components that train: selector, connector, lora, llm (full), encoder (full), speech_decoder (unit-ctc only); all else is frozen
 * @param lora        adapters to attach when {@code train} has "lora" and the model has none yet
 * @param data        training manifests with mixing weights (each example drawn from source i with probability ∝ weight)
 * @param validation  held-out manifests for the periodic validation loss (may be empty)
 * @param steps       optimizer steps; each takes {@code accumulate} micro-batches of {@code batchSize} examples
 * @param warmupSteps linear warm-up, then cosine decay to {@code minLrRatio} × lr
 * @param distillTasks tasks (e.g. "text") whose examples train towards the frozen base LLM's whole next-token
 *                    distribution on the answer positions (knowledge distillation, Hinton et al. 2015) instead of
 *                    the answer tokens alone: the text skills are kept as a distribution, not just as one sample
 * @param hearAugment  the training batches' clips heard warped and masked before the frozen encoder (null: as they are; sft only):
 *                    an adapter learns from speech features as imperfect as a new voice's, not from its encoder's own training clips
 */
public record StageConfig(String name, String objective, List<String> train, LoraSpec lora, List<DataSource> data, List<DataSource> validation,
                          int steps, int batchSize, int accumulate, double lr, int warmupSteps, double minLrRatio, double weightDecay,
                          double maxGradNorm, int evalEvery, int saveEvery, int keepLast, long seed, double dpoBeta, int logEvery,
                          List<String> distillTasks, MelAugment hearAugment) {
    public static final Set<String> COMPONENTS = Set.of("selector", "connector", "lora", "llm", "encoder", "speech_decoder");

    /** A manifest and its mixing weight. */
    public record DataSource(String manifest, double weight) {
        public DataSource {
            if (weight <= 0) throw new IllegalArgumentException("data weight must be positive for " + manifest);
        }
    }

    /** A stage without distillation. */
    public StageConfig(String name, String objective, List<String> train, LoraSpec lora, List<DataSource> data, List<DataSource> validation,
                       int steps, int batchSize, int accumulate, double lr, int warmupSteps, double minLrRatio, double weightDecay,
                       double maxGradNorm, int evalEvery, int saveEvery, int keepLast, long seed, double dpoBeta, int logEvery) {
        this(name, objective, train, lora, data, validation, steps, batchSize, accumulate, lr, warmupSteps, minLrRatio, weightDecay,
                maxGradNorm, evalEvery, saveEvery, keepLast, seed, dpoBeta, logEvery, List.of(), null);
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    public StageConfig {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a stage needs a name");
        objective = objective == null ? "sft" : objective;
        if (!Set.of("sft", "dpo", "unit-ctc").contains(objective)) throw new IllegalArgumentException("stage " + name + ": objective must be sft, dpo or unit-ctc, got " + objective);
        train = List.copyOf(train);
        for (String c : train) {
            if (!COMPONENTS.contains(c)) throw new IllegalArgumentException("stage " + name + ": unknown component '" + c + "' in train: use " + COMPONENTS);
        }
        if (train.isEmpty()) throw new IllegalArgumentException("stage " + name + ": nothing to train");
        if (objective.equals("unit-ctc") != train.equals(List.of("speech_decoder"))) {
            throw new IllegalArgumentException("stage " + name + ": the unit-ctc objective trains exactly [\"speech_decoder\"] (LLaMA-Omni stage 2: the LLM frozen), and only it does");
        }
        if (train.contains("lora") && lora == null) lora = new LoraSpec(8, 16, 0.0, LoraSpec.ALL);
        if (data == null || data.isEmpty()) throw new IllegalArgumentException("stage " + name + ": no training data");
        data = List.copyOf(data);
        validation = validation == null ? List.of() : List.copyOf(validation);
        if (steps <= 0 || batchSize <= 0 || accumulate <= 0) throw new IllegalArgumentException("stage " + name + ": steps, batch_size and accumulate must be positive");
        if (lr <= 0) throw new IllegalArgumentException("stage " + name + ": lr must be positive");
        if (warmupSteps < 0 || warmupSteps > steps) throw new IllegalArgumentException("stage " + name + ": warmup_steps must be in 0.." + steps);
        if (minLrRatio < 0 || minLrRatio > 1) throw new IllegalArgumentException("stage " + name + ": min_lr_ratio must be in [0, 1]");
        if (maxGradNorm <= 0) maxGradNorm = 1.0;
        if (evalEvery <= 0) evalEvery = Math.max(1, steps / 5);
        if (saveEvery <= 0) saveEvery = Math.max(1, steps / 4);
        if (keepLast <= 0) keepLast = 2;
        if (dpoBeta <= 0) dpoBeta = 0.1;
        if (logEvery <= 0) logEvery = Math.max(1, steps / 20);
        distillTasks = distillTasks == null ? List.of() : List.copyOf(distillTasks);
        if (!distillTasks.isEmpty() && !objective.equals("sft")) throw new IllegalArgumentException("stage " + name + ": distill_tasks needs objective sft");
        if (hearAugment != null && !objective.equals("sft")) throw new IllegalArgumentException("stage " + name + ": hear_augment needs objective sft");
    }

    /** Learning rate at {@code step} (0-based): linear warm-up, then cosine to minLrRatio·lr. */
    public double lrAt(int step) {
        if (step < warmupSteps) return lr * (step + 1) / (warmupSteps + 1);
        double progress = (double) (step - warmupSteps) / Math.max(1, steps - warmupSteps);
        double cos = 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
        return lr * (minLrRatio + (1 - minLrRatio) * cos);
    }
}
