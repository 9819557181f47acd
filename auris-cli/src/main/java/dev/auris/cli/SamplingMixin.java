package dev.auris.cli;

import dev.auris.sample.SamplingOptions;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Sampling options shared by generate and chat. */
final class SamplingMixin {
    @Option(names = {"-t", "--temperature"}, defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;
    @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens (0 = off).")
    int topK;
    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling mass (1 = off).")
    double topP;
    @Option(names = "--min-p", defaultValue = "0", description = "Drop tokens below min-p × the top probability (0 = off).")
    double minP;
    @Option(names = "--repeat-penalty", defaultValue = "1", description = "Repetition penalty (1 = off).")
    double repeatPenalty;
    @Option(names = "--seed", defaultValue = "42")
    long seed;
    @Option(names = {"-n", "--max-tokens"}, defaultValue = "256", description = "New tokens at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;
    @Option(names = "--stop", description = "Stop string (repeatable).")
    List<String> stop = new ArrayList<>();

    SamplingOptions options(int budget) {
        return new SamplingOptions(temperature, topK, topP, minP, repeatPenalty, seed, budget, Set.of(), stop);
    }

    SamplingOptions options() {
        return options(maxTokens);
    }
}
