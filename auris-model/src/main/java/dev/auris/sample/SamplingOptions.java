package dev.auris.sample;

import java.util.List;
import java.util.Set;

/**
 * How to pick the next token. Temperature 0 is greedy (argmax). Filters apply in the order of Hugging
 * Face's logits processors: repetition penalty, temperature, top-k, top-p, min-p.
 *
 * @param maxTokens   new tokens at most (the context window also bounds it)
 * @param stopTokens  token ids that end generation (in addition to the model's EOS ids)
 * @param stopStrings texts that end generation when the output ends with one (not included in the output)
 */
public record SamplingOptions(double temperature, int topK, double topP, double minP, double repetitionPenalty, long seed,
                              int maxTokens, Set<Integer> stopTokens, List<String> stopStrings) {
    public SamplingOptions {
        if (temperature < 0) throw new IllegalArgumentException("temperature must be ≥ 0 (0 = greedy), got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top-k must be ≥ 0 (0 = off), got " + topK);
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("top-p must be in (0, 1] (1 = off), got " + topP);
        if (minP < 0 || minP >= 1) throw new IllegalArgumentException("min-p must be in [0, 1) (0 = off), got " + minP);
        if (repetitionPenalty <= 0) throw new IllegalArgumentException("repetition penalty must be > 0 (1 = off), got " + repetitionPenalty);
        if (maxTokens <= 0) throw new IllegalArgumentException("max tokens must be positive, got " + maxTokens);
        stopTokens = Set.copyOf(stopTokens);
        stopStrings = List.copyOf(stopStrings);
    }

    public static SamplingOptions greedy(int maxTokens) {
        return new SamplingOptions(0, 0, 1, 0, 1, 0, maxTokens, Set.of(), List.of());
    }

    public SamplingOptions withMaxTokens(int n) {
        return new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, seed, n, stopTokens, stopStrings);
    }

    public SamplingOptions withStopTokens(Set<Integer> ids) {
        return new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, seed, maxTokens, ids, stopStrings);
    }
}
