package dev.auris.train;

import dev.auris.train.data.Example;
import org.bytedeco.pytorch.Tensor;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What a training stage optimises, for the one {@link TrainingLoop}: the tensors it trains, how micro-batch
 * m of step s is drawn, and the loss of a batch. The loop owns everything else (optimizer, schedule,
 * accumulation, data-parallel sums, clipping, metrics, checkpoints), so an objective is only its arithmetic.
 *
 * <p>Variants: {@link Sft} (next-token loss on answers, optionally distilled), {@link Dpo} (preference pairs
 * against the frozen starting model), {@link Ctc} (a speech encoder and CTC head from scratch),
 * {@link UnitCtcObjective} (LLaMA-Omni's speech decoder: CTC over the answer speech's units, LLM frozen).
 * A vocoder's GAN (two optimizers, generator and discriminators) has its own loop,
 * {@link dev.auris.train.voice.VocoderGan}.
 */
sealed interface Objective extends AutoCloseable permits Sft, Dpo, Ctc, UnitCtcObjective {
    /** The tensors this objective trains, by name, in the optimizer's (and the checkpoints') order. */
    Map<String, Tensor> parameters();

    /**
     * Called once the parameters are in place (after rank 0's are broadcast) and before a checkpoint is
     * restored: DPO takes its reference log-probabilities from the model as the stage starts.
     */
    default void start() {}

    /**
     * Micro-batch {@code micro} of {@code step}: the global batch (every data-parallel rank draws the same and
     * takes its slice), a pure function of (seed, step, micro) so a resumed run draws what the uninterrupted
     * one would.
     */
    Draw draw(int step, int micro);

    /**
     * The loss of {@code slice}, a part of {@code draw}'s global batch (one rank's), scaled so that the slices'
     * losses add up to the global batch's. Runs inside the loop's {@code PointerScope}, gradients on; counts
     * what it consumed into {@code seen}.
     */
    Loss loss(Draw draw, List<Example> slice, Throughput seen);

    /** The validation loss on held-out data, NaN when the stage has none. */
    default double validate() { return Double.NaN; }

    @Override
    default void close() {}

    /**
     * A drawn micro-batch: its examples, the seed of libtorch's generator (dropout) that every slice's loss
     * starts from, and the stream of the objective's own random draws (augmentation; null when it has none).
     */
    record Draw(List<Example> examples, long torchSeed, SplittableRandom random) {}

    /**
     * A slice's loss (a scalar with its graph) and, for DPO, the chosen − rejected log-probability margin
     * scaled as the loss is (NaN otherwise). The margin is a float: the loop sums it in float arithmetic, as it
     * always has, so metrics stay byte-identical.
     */
    record Loss(Tensor value, float margin) {}

    /** Running totals for the throughput figures: sequence positions and seconds of audio trained on. */
    final class Throughput {
        double tokens, audio;
    }
}
