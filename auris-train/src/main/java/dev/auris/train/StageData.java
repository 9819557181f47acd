package dev.auris.train;

import dev.auris.core.Torch;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.train.data.BatchSampler;
import dev.auris.train.data.Example;
import dev.auris.train.data.Sequences;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import java.util.List;

/**
 * What the speech-LLM objectives ({@link Sft}, {@link Dpo}) share: the model, its sequence builder, the
 * stage's mixture sampler and validation set. Micro-batch m of step s is the sampler's, and libtorch's
 * generator restarts from a function of (seed, s, m), so dropout too is a function of the step.
 */
record StageData(StageConfig cfg, SpeechLlm model, Sequences seqs, BatchSampler sampler, List<Example> validation) implements AutoCloseable {
    Objective.Draw draw(int step, int micro) {
        long seed = cfg.seed() * 7_919L + step * 31L + micro;
        return new Objective.Draw(sampler.batch(step, micro), seed, new java.util.SplittableRandom(seed ^ 0x5DEECE66DL)); // the random hears augmented clips (Sft)
    }

    /** log π(answer | prompt) summed over answer tokens, [B]; the rejected answers' with {@code rejected}. */
    Tensor seqLogProb(List<Example> batch, boolean rejected) {
        var b = seqs.batch(batch, rejected);
        Tensor h = model.llm().forward(b.inputs(), 0, null, null, null);                   // [B, T, D]
        return Sequences.logProbs(model.logits(h), b.labels())[0];
    }

    /** Mean over validation batches of the mean answer-token loss (NaN without validation data). */
    double validate() {
        if (validation.isEmpty()) return Double.NaN;
        double sum = 0;
        int n = 0;
        try (var guard = new NoGradGuard()) {
            for (int i = 0; i < validation.size(); i += cfg.batchSize()) {
                try (PointerScope scope = new PointerScope()) {
                    var b = seqs.batch(validation.subList(i, Math.min(validation.size(), i + cfg.batchSize())), false);
                    Tensor h = model.llm().forward(b.inputs(), 0, null, null, null);
                    sum += Torch.toFloats(Sequences.logProbs(model.logits(h), b.labels())[1])[0];
                    n++;
                }
            }
        }
        return sum / Math.max(1, n);
    }

    @Override
    public void close() {
        seqs.close();
    }
}
