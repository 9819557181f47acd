package dev.auris.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.core.Torch;
import dev.auris.train.data.Example;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.*;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one training loop of every {@link Objective}: AdamW (libtorch's) with the stage's warm-up + cosine
 * schedule, gradient accumulation over micro-batches, data-parallel slices and gradient sums, clipping,
 * metrics (JSONL + PNG curve), the progress line, and atomic checkpoints every {@code save_every} steps
 * (trainable tensors, optimizer state, step) with keep-last-N and exact resume: batches and dropout are pure
 * functions of (seed, step), so a resumed run ends bit-identical to an uninterrupted one.
 *
 * <p>A step: learning rate; zero gradients; for each micro-batch, the objective draws the global batch, and
 * each slice this process computes (its rank's; every rank's in turn when {@link #asRanks emulating} them)
 * restarts libtorch's generator from the draw's seed and backpropagates its loss / accumulate; ranks sum
 * their gradients; clip; AdamW step; log. The op order is that of the two loops this one replaces (the
 * speech LLM's and the encoder's), so every stage trains bit-identically to before.
 *
 * <p>Training runs in float32 (bf16 weights would need float32 master copies, and libtorch's bf16 CPU
 * attention backward is slow; see {@link dev.auris.nn.Attention}).
 */
final class TrainingLoop {
    /**
     * What a run keeps beyond its {@link StageConfig}.
     *
     * @param checkpoints   whether it writes checkpoints (and so can resume); the encoder pretraining does not
     * @param logsGradNorm  whether metrics.jsonl records the gradient norm; the encoder pretraining has always
     *                      logged 0 there, kept so its metrics stay byte-identical
     */
    record Options(boolean checkpoints, boolean logsGradNorm) {
        static final Options STAGE = new Options(true, true);
    }

    private final StageConfig cfg;
    private final Path out;
    private final Progress progress;
    private final Options options;
    private DataParallel dp;
    private int ranks = 1;

    TrainingLoop(StageConfig cfg, Path out, Progress progress, Options options) {
        this.cfg = cfg;
        this.out = out;
        this.progress = progress;
        this.options = options;
    }

    /** Runs as one rank of a data-parallel group: its slice of each global batch, gradients summed over ranks. */
    TrainingLoop dataParallel(DataParallel group) {
        this.dp = group;
        return this;
    }

    /**
     * Computes each micro-batch as {@code n} data-parallel ranks would, in one process: slice by slice, each
     * from the same generator seed, the slices' gradients summed in rank order by autograd's accumulation. With
     * one micro-batch a step this is the arithmetic of n processes exactly (for 2, the all-reduce's one float
     * add per element is the same add); with accumulation the sums group differently (per slice across
     * micro-batches on the ranks). Default 1: the whole batch at once.
     */
    TrainingLoop asRanks(int n) {
        if (n < 1) throw new IllegalArgumentException("ranks must be positive: " + n);
        this.ranks = n;
        return this;
    }

    private boolean writer() { return dp == null || dp.rank() == 0; }

    /** The slices [from, to) of a global batch of n this process computes. */
    private List<int[]> slices(int n) {
        if (dp != null) return List.of(dp.slice(n));
        List<int[]> s = new ArrayList<>();
        for (int r = 0; r < ranks; r++) s.add(DataParallel.slice(n, r, ranks));
        return s;
    }

    /**
     * Trains the stage's steps (from the last checkpoint with {@code resume}). A stop asked for ({@link StopRequest})
     * ends the run between two steps, after a checkpoint of the steps done: {@link StopRequest.Stopped}.
     */
    TrainingResult run(Objective objective, boolean resume) {
        StopRequest.enter();
        try {
            return train(objective, resume);
        } finally {
            StopRequest.exit();
        }
    }

    private TrainingResult train(Objective objective, boolean resume) {
        Map<String, Tensor> params = objective.parameters();
        params.values().forEach(t -> t.requires_grad_(true));
        Metrics metrics = new Metrics(out);
        List<Tensor> paramList = new ArrayList<>(params.values());
        if (dp != null) dp.broadcast(paramList);
        TensorVector pv = new TensorVector(params.values().toArray(Tensor[]::new));
        AdamWOptions opts = new AdamWOptions(cfg.lr());
        opts.weight_decay().put(cfg.weightDecay());
        AdamW optimizer = new AdamW(pv, opts);
        int start = 0;
        Checkpoints ckpt = new Checkpoints(out.resolve("checkpoints"), cfg.keepLast());
        Objective.Throughput seen = new Objective.Throughput();
        long t0 = System.nanoTime();
        double first = Double.NaN, window = 0, lastLoss = Double.NaN, margin = Double.NaN, val = Double.NaN;
        int windowN = 0;
        objective.start();
        if (resume && options.checkpoints()) {
            var last = ckpt.latest();
            if (last.isPresent()) {
                start = ckpt.load(last.get(), params, optimizer);
                progress.message("resumed " + cfg.name() + " at step " + start + " from " + last.get());
            }
        }
        for (int step = start; step < cfg.steps(); step++) {
            boolean stop = StopRequest.requested();
            if (dp != null) stop = dp.sum(stop ? 1 : 0) > 0;         // every rank stops at the same step
            if (stop) {                                              // between two steps: the state is whole
                boolean saved = options.checkpoints() && step > 0;
                if (saved && writer() && step > start && step % cfg.saveEvery() != 0) ckpt.save(step, params, optimizer);
                throw new StopRequest.Stopped(cfg.name(), step, saved);
            }
            double lr = cfg.lrAt(step);
            for (int g = 0; g < optimizer.param_groups().size(); g++) {
                optimizer.param_groups().get(g).options().set_lr(lr);
            }
            optimizer.zero_grad();
            double stepLoss = 0, stepMargin = 0;
            for (int micro = 0; micro < cfg.accumulate(); micro++) {
                Objective.Draw draw = objective.draw(step, micro);
                List<Example> global = draw.examples();
                for (int[] sl : slices(global.size())) {
                    torch.manual_seed(draw.torchSeed()); // dropout: a function of (seed, step), alike on every rank
                    try (PointerScope scope = new PointerScope()) {
                        Objective.Loss loss = objective.loss(draw, sl[0] == 0 && sl[1] == global.size() ? global : global.subList(sl[0], sl[1]), seen);
                        loss.value().div(Torch.scalar(cfg.accumulate())).backward();
                        stepLoss += Torch.toFloats(loss.value())[0] / cfg.accumulate();
                        stepMargin += loss.margin() / cfg.accumulate(); // float arithmetic, as logged before
                    }
                }
            }
            if (dp != null) {
                dp.sumGradients(paramList);
                stepLoss = dp.sum(stepLoss);
                if (!Double.isNaN(stepMargin)) stepMargin = dp.sum(stepMargin);
            }
            double gradNorm = torch.clip_grad_norm_(pv, cfg.maxGradNorm());
            optimizer.step();
            if (!Double.isFinite(stepLoss)) {
                throw new IllegalStateException("stage " + cfg.name() + ": loss became " + stepLoss + " at step " + step + ": lower the learning rate");
            }
            if (Double.isNaN(first)) first = stepLoss;
            window += stepLoss;
            windowN++;
            margin = stepMargin;
            double elapsed = (System.nanoTime() - t0) / 1e9;
            boolean last = step == cfg.steps() - 1;
            boolean evaluates = (step + 1) % cfg.evalEvery() == 0 || last;
            if (!writer()) continue;
            if (evaluates) val = objective.validate();
            ObjectNode row = metrics.row(step + 1, stepLoss, lr, options.logsGradNorm() ? gradNorm : 0, seen.tokens / elapsed, seen.audio / elapsed, elapsed);
            if (!Double.isNaN(margin)) row.put("dpo_margin", margin);
            if (evaluates && !Double.isNaN(val)) row.put("val_loss", val);
            metrics.write(row);
            if ((step + 1) % cfg.logEvery() == 0 || last) {
                lastLoss = window / windowN;
                window = 0;
                windowN = 0;
            }
            progress.step(cfg.name(), step + 1 - start, cfg.steps() - start, step + 1, cfg.steps(), stepLoss, lr, seen.tokens / elapsed, seen.audio / elapsed, val);
            if (options.checkpoints() && (step + 1) % cfg.saveEvery() == 0 && !last) ckpt.save(step + 1, params, optimizer);
        }
        progress.done();
        if (writer()) metrics.plot(cfg.name());
        double secs = (System.nanoTime() - t0) / 1e9;
        params.values().forEach(t -> t.requires_grad_(false));
        return new TrainingResult(cfg.steps(), lastLoss, first, val, secs, seen.tokens / secs, seen.audio / secs, margin);
    }
}
