package dev.auris.fusion;

import dev.auris.encoder.WhisperEncoder;
import org.bytedeco.pytorch.Tensor;

import java.util.Map;

/**
 * Survey §4 step 1, audio feature post-processing: which encoder features the connector sees.
 * Shapes: B batch, T encoder positions, D encoder width.
 */
public sealed interface FeatureSelector permits FinalLayer, WeightedLayers, WindowQueries {
    /** Features [B, T', D] from the encoder output. */
    Tensor select(WhisperEncoder.Output encoded);

    /** Whether {@link #select} reads the per-layer outputs (the encoder must return them). */
    boolean needsAllLayers();

    /** Trainable tensors by name (empty for a selector without parameters). */
    Map<String, Tensor> parameters();

    /** The spec as stored in auris.json. */
    SelectorSpec spec();
}
