package dev.auris.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.core.Torch;
import dev.auris.io.AtomicFiles;
import dev.auris.io.Checkpoint;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.train.data.Example;
import dev.auris.train.data.Manifest;
import dev.auris.train.data.BatchSampler;
import dev.auris.train.data.Sequences;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.*;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * Runs one {@link StageConfig} on a {@link SpeechLlm}: AdamW (libtorch's) with warm-up + cosine,
 * gradient accumulation and clipping, the stage's freezing policy, SFT or DPO, periodic validation,
 * metrics (JSONL + PNG curve), atomic checkpoints every {@code save_every} steps (trainable tensors,
 * optimizer state, step) with keep-last-N, and exact resume: batches and dropout are pure functions of
 * (seed, step), so a resumed run ends bit-identical to an uninterrupted one.
 *
 * <p>Training runs in float32 (bf16 weights would need float32 master copies, and libtorch's bf16 CPU
 * attention backward is slow; see {@link dev.auris.llm.Attention}).
 */
public final class Trainer {
    private final StageConfig cfg;
    private final Path out;
    private final java.util.function.Function<String, Path> paths;
    private final Progress progress;
    private DataParallel dp;

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

    private boolean writer() { return dp == null || dp.rank() == 0; }

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
                default -> throw new IllegalArgumentException("unknown component " + c);
            }
        }
        return t;
    }

    /**
     * For the examples of a distilled task, replaces the answer tokens' log-probability by the soft
     * cross-entropy against the frozen base LLM (no LoRA) on the same positions: Σ_v p_base(v) log p(v).
     */
    private Tensor distilled(SpeechLlm model, Sequences.Batch b, List<Example> batch, Tensor logits, Tensor perSeq) {
        float[] rows = new float[batch.size()];
        boolean any = false;
        for (int i = 0; i < rows.length; i++) {
            if (cfg.distillTasks().contains(batch.get(i).task())) {
                rows[i] = 1;
                any = true;
            }
        }
        if (!any) return perSeq;
        Tensor teacher;
        try (var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            dev.auris.llm.Llm base = model.text().llm();
            teacher = base.logits(base.forward(b.inputs(), 0, null, null, null));                   // [B, T, V]
        }
        Tensor soft = Sequences.softLogProbs(logits, teacher, b.labels());                         // [B]
        Tensor pick = Torch.fromFloats(rows, rows.length);
        return soft.mul(pick).add(perSeq.mul(pick.neg().add(Torch.scalar(1))));
    }

    /** Every tensor of the model (for freezing and for bit-identity checks). */
    public static Map<String, Tensor> all(SpeechLlm m) {
        return trainable(m, List.of("selector", "connector", "lora", "llm", "encoder"));
    }

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
        if (cfg.objective().equals("dpo")) {
            for (var s : sources) for (Example e : s) {
                if (e.rejected() == null) throw new IllegalArgumentException("stage " + cfg.name() + " is DPO but manifest line " + e.line() + " has no chosen/rejected pair");
            }
        }
        Map<String, Tensor> params = trainable(model, cfg.train());
        if (params.isEmpty()) throw new IllegalArgumentException("stage " + cfg.name() + ": the components " + cfg.train() + " have no trainable tensors in this model");
        all(model).values().forEach(t -> t.requires_grad_(false));
        params.values().forEach(t -> t.requires_grad_(true));
        boolean encoderFrozen = !cfg.train().contains("encoder");
        BatchSampler sampler = new BatchSampler(sources, weights, cfg.batchSize(), cfg.seed());
        Metrics metrics = new Metrics(out);
        List<Tensor> paramList = new ArrayList<>(params.values());
        if (dp != null) dp.broadcast(paramList);
        TensorVector pv = new TensorVector(params.values().toArray(Tensor[]::new));
        AdamWOptions opts = new AdamWOptions(cfg.lr());
        opts.weight_decay().put(cfg.weightDecay());
        AdamW optimizer = new AdamW(pv, opts);
        int start = 0;
        Checkpoints ckpt = new Checkpoints(out.resolve("checkpoints"), cfg.keepLast());
        Map<Example, Double> refChosen = new IdentityHashMap<>(), refRejected = new IdentityHashMap<>();
        long t0 = System.nanoTime();
        double tokens = 0, audio = 0, first = Double.NaN, window = 0, lastLoss = Double.NaN, margin = Double.NaN, val = Double.NaN;
        int windowN = 0;
        try (Sequences seqs = new Sequences(model, encoderFrozen)) {
            // the DPO reference is the model as the stage starts, before any checkpoint is restored
            if (cfg.objective().equals("dpo")) referenceLogProbs(model, seqs, sources, refChosen, refRejected);
            if (resume) {
                var last = ckpt.latest();
                if (last.isPresent()) {
                    start = ckpt.load(last.get(), params, optimizer);
                    progress.message("resumed " + cfg.name() + " at step " + start + " from " + last.get());
                }
            }
            for (int step = start; step < cfg.steps(); step++) {
                double lr = cfg.lrAt(step);
                for (int g = 0; g < optimizer.param_groups().size(); g++) {
                    optimizer.param_groups().get(g).options().set_lr(lr);
                }
                optimizer.zero_grad();
                double stepLoss = 0, stepMargin = 0;
                for (int micro = 0; micro < cfg.accumulate(); micro++) {
                    torch.manual_seed(cfg.seed() * 7_919L + step * 31L + micro); // dropout: a function of (seed, step)
                    List<Example> global = sampler.batch(step, micro);
                    List<Example> batch = global;
                    if (dp != null) {
                        int[] sl = dp.slice(global.size());
                        batch = global.subList(sl[0], sl[1]);
                    }
                    try (PointerScope scope = new PointerScope()) {
                        Tensor loss;
                        if (cfg.objective().equals("dpo")) {
                            Tensor[] r = dpoLoss(model, seqs, batch, refChosen, refRejected);
                            loss = r[0].mul(Torch.scalar((double) batch.size() / global.size()));
                            stepMargin += Torch.toFloats(r[1])[0] * batch.size() / global.size() / cfg.accumulate();
                        } else {
                            Sequences.Batch b = seqs.batch(batch, false);
                            Tensor h = model.llm().forward(b.inputs(), 0, null, null, null);
                            long globalTokens = 0;
                            for (Example e : global) globalTokens += seqs.answerTokens(e.answer());
                            // summed over this slice, normalised by the whole global batch: ranks' gradients add up to the mean
                            Tensor logits = model.logits(h);                                   // [B, T, V(+K)]
                            Tensor perSeq = Sequences.logProbs(logits, b.labels())[0];          // [B]
                            if (!cfg.distillTasks().isEmpty()) perSeq = distilled(model, b, batch, logits, perSeq);
                            loss = perSeq.sum().neg().div(Torch.scalar(globalTokens));
                            tokens += b.positions();
                            audio += b.audioSeconds();
                        }
                        loss.div(Torch.scalar(cfg.accumulate())).backward();
                        stepLoss += Torch.toFloats(loss)[0] / cfg.accumulate();
                    }
                }
                if (dp != null) {
                    dp.sumGradients(paramList);
                    stepLoss = dp.sum(stepLoss);
                    if (cfg.objective().equals("dpo")) stepMargin = dp.sum(stepMargin);
                }
                double gradNorm = torch.clip_grad_norm_(pv, cfg.maxGradNorm());
                optimizer.step();
                if (!Double.isFinite(stepLoss)) {
                    throw new IllegalStateException("stage " + cfg.name() + ": loss became " + stepLoss + " at step " + step + ": lower the learning rate");
                }
                if (Double.isNaN(first)) first = stepLoss;
                window += stepLoss;
                windowN++;
                if (cfg.objective().equals("dpo")) margin = stepMargin;
                double elapsed = (System.nanoTime() - t0) / 1e9;
                boolean last = step == cfg.steps() - 1;
                if (!writer()) continue;
                if (!validation.isEmpty() && ((step + 1) % cfg.evalEvery() == 0 || last)) val = validate(model, seqs, validation);
                ObjectNode row = metrics.row(step + 1, stepLoss, lr, gradNorm, tokens / elapsed, audio / elapsed, elapsed);
                if (!Double.isNaN(margin)) row.put("dpo_margin", margin);
                if ((step + 1) % cfg.evalEvery() == 0 || last) if (!Double.isNaN(val)) row.put("val_loss", val);
                metrics.write(row);
                if ((step + 1) % cfg.logEvery() == 0 || last) {
                    lastLoss = window / windowN;
                    window = 0;
                    windowN = 0;
                }
                progress.step(cfg.name(), step + 1 - start, cfg.steps() - start, step + 1, cfg.steps(), stepLoss, lr, tokens / elapsed, audio / elapsed, val);
                if ((step + 1) % cfg.saveEvery() == 0 && !last) ckpt.save(step + 1, params, optimizer);
            }
        }
        progress.done();
        if (writer()) metrics.plot(cfg.name());
        double secs = (System.nanoTime() - t0) / 1e9;
        params.values().forEach(t -> t.requires_grad_(false));
        return new TrainingResult(cfg.steps(), lastLoss, first, val, secs, tokens / secs, audio / secs, margin);
    }

    private List<Example> load(String manifest) {
        Path p = paths.apply(manifest);
        var loaded = Manifest.read(p, false);
        if (loaded.examples().isEmpty()) throw new IllegalArgumentException("manifest " + p + " has no examples");
        return loaded.examples();
    }

    private double validate(SpeechLlm model, Sequences seqs, List<Example> validation) {
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

    /** log π(answer | prompt) summed over answer tokens, [B]. */
    private static Tensor seqLogProb(SpeechLlm model, Sequences seqs, List<Example> batch, boolean rejected) {
        var b = seqs.batch(batch, rejected);
        Tensor h = model.llm().forward(b.inputs(), 0, null, null, null);
        return Sequences.logProbs(model.logits(h), b.labels())[0];
    }

    private void referenceLogProbs(SpeechLlm model, Sequences seqs, List<List<Example>> sources, Map<Example, Double> chosen, Map<Example, Double> rejected) {
        try (var guard = new NoGradGuard()) {
            for (var src : sources) {
                for (Example e : src) {
                    try (PointerScope scope = new PointerScope()) {
                        chosen.put(e, (double) Torch.toFloats(seqLogProb(model, seqs, List.of(e), false))[0]);
                        rejected.put(e, (double) Torch.toFloats(seqLogProb(model, seqs, List.of(e), true))[0]);
                    }
                }
            }
        }
    }

    /** DPO (Rafailov et al. 2023): −log σ(β[(log πc − log πref c) − (log πr − log πref r)]); also the mean margin. */
    private Tensor[] dpoLoss(SpeechLlm model, Sequences seqs, List<Example> batch, Map<Example, Double> refC, Map<Example, Double> refR) {
        Tensor pc = seqLogProb(model, seqs, batch, false), pr = seqLogProb(model, seqs, batch, true);
        float[] rc = new float[batch.size()], rr = new float[batch.size()];
        for (int i = 0; i < rc.length; i++) {
            rc[i] = refC.get(batch.get(i)).floatValue();
            rr[i] = refR.get(batch.get(i)).floatValue();
        }
        Tensor logits = pc.sub(Torch.fromFloats(rc, rc.length)).sub(pr.sub(Torch.fromFloats(rr, rr.length))).mul(Torch.scalar(cfg.dpoBeta()));
        Tensor loss = torch.logsigmoid(logits).mean().neg();
        Tensor margin = pc.sub(pr).detach().mean();
        return new Tensor[]{loss, margin};
    }
}
