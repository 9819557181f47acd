package dev.auris.fusion;

import dev.auris.nn.Params;
import dev.auris.nn.Linear;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.Map;

/**
 * LLaMA-Omni's speech adaptor: stack k frames, then a 2-layer MLP with ReLU
 * (k=5: 1280·5 → 2048 → LLM width for Whisper-large-v3 and Llama-3.1-8B).
 */
public record FrameStackMlp(int k, Linear fc1, Linear fc2, Map<String, Tensor> parameters) implements Connector {
    public static FrameStackMlp create(int k, int encoderDim, int hidden, int llmDim, Params p) {
        if (k <= 0 || hidden <= 0) throw new IllegalArgumentException("frame-stack-mlp: k and hidden must be positive (auris.json: connector)");
        return new FrameStackMlp(k, new Linear(p.get("fc1.weight", hidden, (long) encoderDim * k), p.get("fc1.bias", hidden)),
                new Linear(p.get("fc2.weight", llmDim, hidden), p.get("fc2.bias", llmDim)), p.all());
    }

    @Override
    public Tensor embed(Tensor features, Tensor tokens) {
        Tensor x = Connector.stackFrames(features, k).to(fc1.weight().scalar_type()); // [B, T/k, k·De]
        return fc2.apply(torch.relu(fc1.apply(x)));                                    // [B, T/k, D]
    }

    @Override
    public ConnectorSpec spec() {
        return new ConnectorSpec.FrameStackMlp(k, (int) fc1.outFeatures());
    }
}
