package dev.auris.fusion;

import dev.auris.io.CheckpointException;
import dev.auris.nn.Params;

/** Builds the selector and connector an auris.json names (survey §4 steps 1 and 2), checking every field it reads. */
public final class Fusion {
    private Fusion() {}

    public static FeatureSelector selector(SelectorSpec spec, int encoderDim, int encoderLayers, Params p) {
        return switch (spec) {
            case SelectorSpec.Final f -> new FinalLayer();
            case SelectorSpec.Weighted w -> {
                int[] layers;
                if (w.layers() != null) layers = w.layers().stream().mapToInt(Integer::intValue).toArray();
                else { // default: every layer output 1..L
                    layers = new int[encoderLayers];
                    for (int i = 0; i < encoderLayers; i++) layers[i] = i + 1;
                }
                for (int x : layers) {
                    if (x < 0 || x > encoderLayers) {
                        throw new CheckpointException("auris.json: selector.layers has " + x + " but the encoder has layers 0.." + encoderLayers);
                    }
                }
                yield WeightedLayers.create(layers, p);
            }
            case SelectorSpec.WindowQueries q -> WindowQueries.create(encoderDim, q.window(), q.queries(),
                    q.heads() != null ? q.heads() : Math.max(1, encoderDim / 64), p);
        };
    }

    public static Connector connector(ConnectorSpec spec, int encoderDim, int llmDim, int vocab, Params p) {
        return switch (spec) {
            case ConnectorSpec.FrameStackMlp c -> FrameStackMlp.create(c.k(), encoderDim, c.hidden(), llmDim, p);
            case ConnectorSpec.Linear c -> LinearProjection.create(c.k(), encoderDim, llmDim, p);
            case ConnectorSpec.Conv c -> ConvDownsampler.create(c.k(), encoderDim, c.hidden() != null ? c.hidden() : llmDim, llmDim, p);
            case ConnectorSpec.TokenMapper c -> TokenMapper.create(c.units(), encoderDim, vocab, p);
            case ConnectorSpec.CtcCompress c -> CtcCompress.create(encoderDim, vocab, c.temperature(), c.blankThreshold(), p);
            case ConnectorSpec.AudioVocab c -> AudioVocab.create(c.units(), encoderDim, llmDim, p);
            case ConnectorSpec.Ultravox c -> UltravoxProjector.create(c.stackFactor(), c.hidden(), c.lnMid(), encoderDim, llmDim, p);
        };
    }
}
