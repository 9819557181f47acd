package dev.auris.fusion;

import dev.auris.io.CheckpointException;
import dev.auris.nn.Params;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds the selector and connector an auris.json names (survey §4 steps 1 and 2), checking every field it reads. */
public final class Fusion {
    /** The selector and connector types auris.json may name, for error messages. */
    public static final String SELECTOR_TYPES = "final, weighted or window-queries";
    public static final String CONNECTOR_TYPES = "frame-stack-mlp, linear, conv, token-mapper, ctc-compress or audio-vocab";

    private Fusion() {}

    public static FeatureSelector selector(Map<String, Object> spec, int encoderDim, int encoderLayers, Params p) {
        String type = String.valueOf(spec.get("type"));
        return switch (type) {
            case "final" -> new FinalLayer();
            case "weighted" -> {
                int[] layers;
                if (spec.get("layers") != null) layers = numbersOf(spec, "layers").stream().mapToInt(Number::intValue).toArray();
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
            case "window-queries" -> WindowQueries.create(encoderDim, intOf(spec, "window", 17), intOf(spec, "queries", 1),
                    intOf(spec, "heads", Math.max(1, encoderDim / 64)), p);
            default -> throw new CheckpointException("auris.json: selector.type '" + type + "' is unknown: use " + SELECTOR_TYPES);
        };
    }

    public static Connector connector(Map<String, Object> spec, int encoderDim, int llmDim, int vocab, Params p) {
        String type = String.valueOf(spec.get("type"));
        return switch (type) {
            case "frame-stack-mlp" -> FrameStackMlp.create(intOf(spec, "k", 5), encoderDim, intOf(spec, "hidden", 2048), llmDim, p);
            case "linear" -> LinearProjection.create(intOf(spec, "k", 1), encoderDim, llmDim, p);
            case "conv" -> ConvDownsampler.create(intOf(spec, "k", 2), encoderDim, intOf(spec, "hidden", llmDim), llmDim, p);
            case "token-mapper" -> TokenMapper.create(intOf(spec, "units", 100), encoderDim, vocab, p);
            case "ctc-compress" -> CtcCompress.create(encoderDim, vocab, doubleOf(spec, "temperature", 1.0), doubleOf(spec, "blank_threshold", 0.5), p);
            case "audio-vocab" -> AudioVocab.create(intOf(spec, "units", 100), encoderDim, llmDim, p);
            default -> throw new CheckpointException("auris.json: connector.type '" + type + "' is unknown: use " + CONNECTOR_TYPES);
        };
    }

    /** A list of numbers (empty when absent); anything else is a clear error. */
    static List<Number> numbersOf(Map<String, Object> spec, String key) {
        Object v = spec.get(key);
        if (v == null) return List.of();
        if (!(v instanceof List<?> list)) throw new CheckpointException("auris.json: " + key + " must be a list of numbers, got " + v);
        List<Number> out = new ArrayList<>();
        for (Object x : list) {
            if (!(x instanceof Number n)) throw new CheckpointException("auris.json: " + key + " must be a list of numbers, got " + v);
            out.add(n);
        }
        return out;
    }

    static double doubleOf(Map<String, Object> spec, String key, double dflt) {
        Number n = number(spec, key);
        return n == null ? dflt : n.doubleValue();
    }

    static int intOf(Map<String, Object> spec, String key, int dflt) {
        Number n = number(spec, key);
        return n == null ? dflt : n.intValue();
    }

    /** A numeric field of an auris.json section, or null when absent. */
    private static Number number(Map<String, Object> spec, String key) {
        Object v = spec.get(key);
        if (v == null || v instanceof Number) return (Number) v;
        throw new CheckpointException("auris.json: " + key + " must be a number, got '" + v + "'");
    }
}
