package dev.auris.train;

import dev.auris.core.Torch;
import dev.auris.train.data.Example;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Direct preference optimisation (Rafailov et al. 2023) of a speech LLM on (prompt, chosen, rejected)
 * triples: −log σ(β[(log πc − log πref c) − (log πr − log πref r)]), the reference being the model as the
 * stage starts (its log-probabilities computed once, before any checkpoint is restored).
 */
final class Dpo implements Objective {
    private final StageData data;
    private final Map<String, Tensor> parameters;
    private final List<List<Example>> sources;
    private final Map<Example, Double> refChosen = new IdentityHashMap<>(), refRejected = new IdentityHashMap<>();

    /** @param sources every training example, each with a rejected answer */
    Dpo(StageData data, Map<String, Tensor> parameters, List<List<Example>> sources) {
        for (var s : sources) for (Example e : s) {
            if (e.rejected() == null) throw new IllegalArgumentException("stage " + data.cfg().name() + " is DPO but manifest line " + e.line() + " has no chosen/rejected pair");
        }
        this.data = data;
        this.parameters = parameters;
        this.sources = sources;
    }

    @Override
    public Map<String, Tensor> parameters() { return parameters; }

    /** The reference log-probabilities of every chosen and rejected answer, one example at a time. */
    @Override
    public void start() {
        try (var guard = new NoGradGuard()) {
            for (var src : sources) {
                for (Example e : src) {
                    try (PointerScope scope = new PointerScope()) {
                        refChosen.put(e, (double) Torch.toFloats(data.seqLogProb(List.of(e), false))[0]);
                        refRejected.put(e, (double) Torch.toFloats(data.seqLogProb(List.of(e), true))[0]);
                    }
                }
            }
        }
    }

    @Override
    public Draw draw(int step, int micro) {
        return data.draw(step, micro);
    }

    /** The slice's mean loss weighted by its share of the global batch; the margin likewise (float arithmetic, as logged). */
    @Override
    public Loss loss(Draw draw, List<Example> slice, Throughput seen) {
        Tensor pc = data.seqLogProb(slice, false), pr = data.seqLogProb(slice, true);     // [B], [B]
        float[] rc = new float[slice.size()], rr = new float[slice.size()];
        for (int i = 0; i < rc.length; i++) {
            rc[i] = refChosen.get(slice.get(i)).floatValue();
            rr[i] = refRejected.get(slice.get(i)).floatValue();
        }
        Tensor logits = pc.sub(Torch.fromFloats(rc, rc.length)).sub(pr.sub(Torch.fromFloats(rr, rr.length))).mul(Torch.scalar(data.cfg().dpoBeta()));
        Tensor mean = torch.logsigmoid(logits).mean().neg();
        Tensor margin = pc.sub(pr).detach().mean();
        int global = draw.examples().size();
        return new Loss(mean.mul(Torch.scalar((double) slice.size() / global)), Torch.toFloats(margin)[0] * slice.size() / global);
    }

    @Override
    public double validate() {
        return data.validate();
    }
}
