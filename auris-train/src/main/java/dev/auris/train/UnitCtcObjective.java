package dev.auris.train;

import dev.auris.core.Torch;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.speech.SpeechDecoder;
import dev.auris.train.data.Example;
import dev.auris.train.data.Sequences;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.*;

/**
 * LLaMA-Omni's stage 2 (Fang et al. 2024, §3.3; {@code omni_speech2s_llama.py} {@code forward}): the speech
 * decoder learns CTC over the units of the answer's speech from the frozen LLM's final-normed hidden states
 * of the answer, teacher-forced. The states taken are those that predicted each answer token — the prompt's
 * last position, then each answer token's but the last — as inference feeds them ({@code SpeechSession}).
 * Only the decoder's tensors train: the LLM runs under no-grad, so its weights cannot change.
 *
 * <p>Shapes: B batch, T positions, D LLM width, A_b answer tokens (+ end) of row b, U_b its units.
 */
final class UnitCtcObjective implements Objective {
    private final SpeechLlm model;
    private final Sequences seqs;
    private final SpeechDecoder decoder;
    private final Map<String, Tensor> parameters;
    private final List<Example> train, validation;
    private final Map<Example, long[]> units;
    private final int batchSize;
    private final long seed;

    /** @param units each example's (deduplicated) answer units, by identity */
    UnitCtcObjective(SpeechLlm model, SpeechDecoder decoder, List<Example> train, List<Example> validation, Map<Example, long[]> units, int batchSize, long seed) {
        this.model = model;
        this.seqs = new Sequences(model, true);
        this.decoder = decoder;
        this.parameters = new LinkedHashMap<>(decoder.tensors());
        this.train = List.copyOf(train);
        this.validation = List.copyOf(validation);
        this.units = units;
        this.batchSize = batchSize;
        this.seed = seed;
        for (Example e : train) if (!units.containsKey(e)) throw new IllegalArgumentException("training line " + e.line() + " has no answer units");
    }

    @Override
    public Map<String, Tensor> parameters() { return parameters; }

    @Override
    public Draw draw(int step, int micro) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + step * 31L + micro);
        List<Example> batch = new ArrayList<>();
        for (int i = 0; i < batchSize; i++) batch.add(train.get(r.nextInt(train.size())));
        return new Draw(batch, seed * 7_919L + step * 31L + micro, null);
    }

    /** The slice's CTC loss (LLaMA-Omni's: summed, over the slice's units) scaled by its share of the global batch's units. */
    @Override
    public Loss loss(Draw draw, List<Example> slice, Throughput seen) {
        long global = 0, local = 0;
        for (Example e : draw.examples()) global += units.get(e).length;
        List<long[]> targets = new ArrayList<>();
        for (Example e : slice) {
            targets.add(units.get(e));
            local += units.get(e).length;
        }
        Tensor loss = decoder.loss(answerStates(slice), targets).mul(Torch.scalar((double) local / global));
        seen.tokens += local;
        return new Loss(loss, Float.NaN);
    }

    /** Per example, the frozen LLM's final-normed states that predicted its answer tokens and end token: [A_b, D]. */
    List<Tensor> answerStates(List<Example> batch) {
        Sequences.Batch b = seqs.batch(batch, false);
        Tensor h;
        try (var guard = new NoGradGuard()) {
            h = model.llm().forward(b.inputs(), 0, null, null, null);                        // [B, T, D]
        }
        long[] labels = Torch.toLongs(b.labels());                                          // [B·T]
        long t = b.labels().size(1);
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            List<Long> pos = new ArrayList<>();
            for (int j = 0; j + 1 < t; j++) if (labels[(int) (i * t + j + 1)] != Sequences.IGNORE) pos.add((long) j);
            long[] p = pos.stream().mapToLong(Long::longValue).toArray();
            out.add(h.select(0, i).index_select(0, Torch.fromLongs(p, p.length)));          // [A_i, D]
        }
        return out;
    }

    /** Mean CTC loss over the held-out examples (batches of the stage's size). */
    @Override
    public double validate() {
        if (validation.isEmpty()) return Double.NaN;
        double sum = 0;
        int n = 0;
        try (var guard = new NoGradGuard()) {
            for (int i = 0; i < validation.size(); i += batchSize) {
                try (PointerScope scope = new PointerScope()) {
                    List<Example> b = validation.subList(i, Math.min(validation.size(), i + batchSize));
                    sum += Torch.toFloats(decoder.loss(answerStates(b), b.stream().map(units::get).toList()))[0];
                    n++;
                }
            }
        }
        return sum / Math.max(1, n);
    }

    /** Units per answer state over the training set (what λ must exceed: LLaMA-Omni's 25 for its units). */
    double unitsPerState() {
        long u = 0, a = 0;
        for (Example e : train) {
            u += units.get(e).length;
            a += seqs.answerTokens(e.answer());
        }
        return (double) u / Math.max(1, a);
    }

    @Override
    public void close() {
        seqs.close();
    }

}
