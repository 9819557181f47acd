package dev.auris.sample;

/**
 * Divides the logits by the temperature (Hugging Face's {@code TemperatureLogitsWarper}): above 1
 * flattens the distribution, below 1 sharpens it. Temperature 0 is not a filter but greedy decoding
 * ({@link Sampler} takes the argmax, as whisper's {@code GreedyDecoder} does at temperature 0).
 */
record Temperature(double temperature) implements LogitFilter {
    Temperature {
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0 (0 is greedy, not a filter), got " + temperature);
    }

    @Override
    public void apply(Candidates c) {
        float[] x = c.logits();
        float t = (float) temperature; // in float like the logits
        for (int i = 0; i < x.length; i++) x[i] /= t;
    }
}
