package dev.auris.fusion;

import dev.auris.nn.Params;
import dev.auris.nn.Linear;
import org.bytedeco.pytorch.Tensor;

import java.util.Map;

/** LLaSM's modal adaptor: one linear projection into the LLM embedding space (after optional k-frame stacking). */
public record LinearProjection(int k, Linear proj, Map<String, Tensor> parameters) implements Connector {
    public static LinearProjection create(int k, int encoderDim, int llmDim, Params p) {
        if (k <= 0) throw new IllegalArgumentException("linear: k must be positive (auris.json: connector.k)");
        return new LinearProjection(k, new Linear(p.get("proj.weight", llmDim, (long) encoderDim * k), p.get("proj.bias", llmDim)), p.all());
    }

    @Override
    public Tensor embed(Tensor features, Tensor tokens) {
        return proj.apply(Connector.stackFrames(features, k).to(proj.weight().scalar_type()));
    }

    @Override
    public ConnectorSpec spec() { return new ConnectorSpec.Linear(k); }
}
