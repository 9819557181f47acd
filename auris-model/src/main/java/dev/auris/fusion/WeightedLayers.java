package dev.auris.fusion;

import dev.auris.nn.Params;
import dev.auris.encoder.WhisperEncoder;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A learned softmax-weighted sum of chosen encoder layers (the SUPERB / WavLM recipe): index 0 is the
 * input embedding, i the output of layer i, L (the last) the final layer-normed output — Hugging Face's
 * {@code hidden_states} numbering.
 */
public record WeightedLayers(int[] layers, Tensor weights) implements FeatureSelector {
    public WeightedLayers {
        if (layers.length == 0) throw new IllegalArgumentException("weighted-layers selector needs at least one layer");
        if (weights.dim() != 1 || weights.size(0) != layers.length) {
            throw new IllegalArgumentException("weighted-layers: " + layers.length + " layers need " + layers.length + " weights");
        }
    }

    public static WeightedLayers create(int[] layers, Params p) {
        return new WeightedLayers(layers.clone(), p.get("layer_weights", layers.length));
    }

    @Override
    public Tensor select(WhisperEncoder.Output encoded) {
        List<Tensor> all = encoded.layers();
        if (all == null) throw new IllegalStateException("weighted-layers selector needs the encoder's per-layer outputs");
        int last = all.size() - 1;
        Tensor[] chosen = new Tensor[layers.length];
        for (int i = 0; i < layers.length; i++) {
            int l = layers[i];
            if (l < 0 || l > last) throw new IllegalArgumentException("layer " + l + " does not exist: the encoder has layers 0.." + last + " (auris.json: selector.layers)");
            chosen[i] = l == last ? encoded.lastHidden() : all.get(l);
        }
        Tensor stacked = torch.stack(new TensorVector(chosen), 0);                 // [N, B, T, D]
        Tensor w = torch.softmax(weights.to(stacked.scalar_type()), 0).view(layers.length, 1, 1, 1);
        return stacked.mul(w).sum(new long[]{0}, false, new org.bytedeco.pytorch.ScalarTypeOptional()); // [B, T, D]
    }

    @Override
    public boolean needsAllLayers() { return true; }

    @Override
    public Map<String, Tensor> parameters() { return Map.of("layer_weights", weights); }

    @Override
    public SelectorSpec spec() { return new SelectorSpec.Weighted(Arrays.stream(layers).boxed().toList()); }
}
