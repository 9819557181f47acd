package dev.auris.cli;

import dev.auris.prompt.PromptSpec;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechModelSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.*;

/** {@code auris compose --encoder WHISPER --llm LLM --connector frame-stack-mlp --out DIR}: a new, untrained speech LLM. */
@Command(name = "compose", mixinStandardHelpOptions = true,
        description = {"Create a new (untrained) speech LLM directory from an encoder and an LLM: auris.json + randomly initialised fusion weights.",
                "Presets: --preset llama-omni (final layer, frame-stack MLP k=5 hidden 2048, 30 s padding, LLaMA-Omni prompt);",
                "--preset llasm (final layer, linear projection)."})
final class ComposeCommand implements Runnable {
    @Option(names = "--encoder", required = true, description = "Whisper encoder directory.")
    Path encoder;
    @Option(names = "--llm", required = true, description = "LLM directory.")
    Path llm;
    @Option(names = "--out", required = true, description = "New model directory.")
    Path out;
    @Option(names = "--preset", description = "llama-omni or llasm.")
    String preset;
    @Option(names = "--selector", defaultValue = "final", description = "final, weighted or window-queries (default: ${DEFAULT-VALUE}).")
    String selector;
    @Option(names = "--layers", split = ",", description = "weighted: encoder layers (0 = embeddings, L = final output).")
    List<Integer> layers;
    @Option(names = "--window", defaultValue = "17", description = "window-queries: window in encoder positions.")
    int window;
    @Option(names = "--queries", defaultValue = "1", description = "window-queries: queries per window.")
    int queries;
    @Option(names = "--connector", defaultValue = "frame-stack-mlp", description = "frame-stack-mlp, linear, conv, token-mapper, ctc-compress (starts from the encoder's ctc_head.safetensors when it has one) or audio-vocab.")
    String connector;
    @Option(names = "--k", description = "Frames stacked / conv stride (frame-stack-mlp: 5, linear: 1, conv: 2).")
    Integer k;
    @Option(names = "--hidden", description = "MLP / conv hidden width (frame-stack-mlp: 2048).")
    Integer hidden;
    @Option(names = "--units", defaultValue = "100", description = "token-mapper / audio-vocab: codebook size.")
    int units;
    @Option(names = "--pad-30s", description = "Pad every clip to Whisper's 30 s window.")
    boolean pad30s;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Mixin
    Options options;

    @Override
    public void run() {
        var dtype = options.precision().exactUnlessAsked().encoder();
        PromptSpec prompt = PromptSpec.llamaOmni();
        Map<String, Object> sel = new LinkedHashMap<>();
        Map<String, Object> con = new LinkedHashMap<>();
        if ("llama-omni".equals(preset)) {
            selector = "final";
            connector = "frame-stack-mlp";
            if (k == null) k = 5;
            if (hidden == null) hidden = 2048;
            pad30s = true;
        } else if ("llasm".equals(preset)) {
            selector = "final";
            connector = "linear";
        } else if (preset != null) {
            throw new IllegalArgumentException("unknown preset '" + preset + "': use llama-omni or llasm");
        }
        sel.put("type", selector);
        if (layers != null) sel.put("layers", layers);
        if (selector.equals("window-queries")) {
            sel.put("window", window);
            sel.put("queries", queries);
        }
        con.put("type", connector);
        if (k != null) con.put("k", k);
        if (hidden != null) con.put("hidden", hidden);
        if (connector.equals("token-mapper") || connector.equals("audio-vocab")) con.put("units", units);
        try (SpeechLlm m = SpeechLlm.compose(out, Options.resolve(encoder), Options.resolve(llm), sel, con, prompt, pad30s, seed, dtype)) {
            long params = m.trainableTensors().values().stream().mapToLong(t -> t.numel()).sum();
            System.err.printf(Locale.ROOT, "wrote %s: %s → %s → %s, %,d trainable parameters (untrained: train it with `auris train`)%n",
                    out, m.spec().selector().type(), m.spec().connector().type(), m.llm().config().family(), params);
        }
    }
}
