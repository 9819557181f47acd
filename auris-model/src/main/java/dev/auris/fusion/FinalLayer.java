package dev.auris.fusion;

import dev.auris.encoder.WhisperEncoder;
import org.bytedeco.pytorch.Tensor;

import java.util.Map;

/** The encoder's final (layer-normed) output, as LLaMA-Omni and LLaSM use it. */
public record FinalLayer() implements FeatureSelector {
    @Override
    public Tensor select(WhisperEncoder.Output encoded) { return encoded.lastHidden(); }

    @Override
    public boolean needsAllLayers() { return false; }

    @Override
    public Map<String, Tensor> parameters() { return Map.of(); }

    @Override
    public SelectorSpec spec() { return new SelectorSpec.Final(); }
}
