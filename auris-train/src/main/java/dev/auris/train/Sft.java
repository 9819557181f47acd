package dev.auris.train;

import dev.auris.core.Torch;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.train.data.Example;
import dev.auris.train.data.Sequences;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Supervised fine-tuning of a speech LLM: the next-token loss on the answer tokens only, summed over a slice
 * and normalised by the whole global batch's answer tokens, so ranks' (and micro-batches') gradients add up
 * to the mean. Examples of the stage's distilled tasks train towards the frozen base LLM's distribution instead.
 */
record Sft(StageData data, Map<String, Tensor> parameters) implements Objective {
    @Override
    public Draw draw(int step, int micro) {
        return data.draw(step, micro);
    }

    @Override
    public Loss loss(Draw draw, List<Example> slice, Throughput seen) {
        SpeechLlm model = data.model();
        Sequences seqs = data.seqs();
        Sequences.Batch b = seqs.batch(slice, false, draw.random());                          // augmented if the stage says so
        Tensor h = model.llm().forward(b.inputs(), 0, null, null, null);                   // [B, T, D]
        long globalTokens = 0;
        for (Example e : draw.examples()) globalTokens += seqs.answerTokens(e.answer());
        Tensor logits = model.logits(h);                                                   // [B, T, V(+K)]
        Tensor perSeq = Sequences.logProbs(logits, b.labels())[0];                         // [B]
        if (!data.cfg().distillTasks().isEmpty()) perSeq = distilled(b, slice, logits, perSeq);
        Tensor loss = perSeq.sum().neg().div(Torch.scalar(globalTokens));
        seen.tokens += b.positions();
        seen.audio += b.audioSeconds();
        return new Loss(loss, Float.NaN);
    }

    /**
     * For the examples of a distilled task, replaces the answer tokens' log-probability by the soft
     * cross-entropy against the frozen base LLM (no LoRA) on the same positions: Σ_v p_base(v) log p(v).
     */
    private Tensor distilled(Sequences.Batch b, List<Example> batch, Tensor logits, Tensor perSeq) {
        float[] rows = new float[batch.size()];
        boolean any = false;
        for (int i = 0; i < rows.length; i++) {
            if (data.cfg().distillTasks().contains(batch.get(i).task())) {
                rows[i] = 1;
                any = true;
            }
        }
        if (!any) return perSeq;
        Tensor teacher;
        try (var guard = new NoGradGuard()) {
            dev.auris.llm.Llm base = data.model().text().llm();
            teacher = base.logits(base.forward(b.inputs(), 0, null, null, null));           // [B, T, V]
        }
        Tensor soft = Sequences.softLogProbs(logits, teacher, b.labels());                 // [B]
        Tensor pick = Torch.fromFloats(rows, rows.length);
        return soft.mul(pick).add(perSeq.mul(pick.neg().add(Torch.scalar(1))));
    }

    @Override
    public double validate() {
        return data.validate();
    }
}
