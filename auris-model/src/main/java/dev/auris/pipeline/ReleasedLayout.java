package dev.auris.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.encoder.WhisperConfig;
import dev.auris.io.CheckpointException;
import dev.auris.llm.LlmConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A speech LLM directory as its authors publish it — no auris.json, their own {@code config.json} — read as the
 * auris.json it is equivalent to: {@link LlamaOmniLayout} ({@code model_type} {@code omni_speech2s_llama} /
 * {@code omni_speech_llama}) and {@link UltravoxLayout} ({@code ultravox}). {@link ModelDirectory#load} turns to
 * this when a directory has no auris.json.
 *
 * <p>{@code SpeechLlm m = SpeechLlm.load(Path.of("Llama-3.1-8B-Omni"), DType.BF16, new Overrides(null, null, Path.of("vocoder")));}
 */
public sealed interface ReleasedLayout permits LlamaOmniLayout, UltravoxLayout {
    /**
     * Parts a released directory only names (a hub id, a path on its authors' machine), given on the command line
     * ({@code --encoder}, {@code --llm}, {@code --vocoder}); null: found from the directory's own references.
     */
    record Overrides(Path encoder, Path llm, Path vocoder) {
        public static final Overrides NONE = new Overrides(null, null, null);
    }

    /**
     * The equivalent model: {@code spec} (paths absolute), the fusion weights ({@code fusionDir}'s safetensors) seen
     * under Auris's names through {@code fusionName} ({@code connector.fc1.weight} → the checkpoint's name), and the
     * directory whose tokenizer and chat template the prompt uses ({@code promptDir}; null: the LLM's).
     */
    record Translation(SpeechModelSpec spec, Path fusionDir, UnaryOperator<String> fusionName, Path promptDir, Embedded embedded) {
        public Translation(SpeechModelSpec spec, Path fusionDir, UnaryOperator<String> fusionName, Path promptDir) {
            this(spec, fusionDir, fusionName, promptDir, Embedded.NONE);
        }
    }

    /**
     * Parts whose weights are in {@code fusionDir}'s checkpoint itself (a full Ultravox checkpoint: {@code audio_tower.*},
     * {@code language_model.*}) with their configs; null where the part comes from the spec's path.
     */
    record Embedded(WhisperConfig audio, String audioPrefix, LlmConfig text, String textPrefix) {
        public static final Embedded NONE = new Embedded(null, null, null, null);
    }

    /** The layout {@code dir}'s config.json declares, if it is one of these. */
    static Optional<ReleasedLayout> detect(Path dir) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) return Optional.empty();
        JsonNode c = config(cfg);
        return switch (c.path("model_type").asText("")) {
            case "omni_speech2s_llama", "omni_speech_llama" -> Optional.of(new LlamaOmniLayout(c));
            case "ultravox" -> Optional.of(new UltravoxLayout(c));
            default -> Optional.empty();
        };
    }

    /** The auris.json this directory amounts to, with {@code overrides} applied. */
    Translation translate(Path dir, Overrides overrides);

    static JsonNode config(Path cfg) {
        try {
            return new ObjectMapper().readTree(cfg.toFile());
        } catch (IOException e) {
            throw new CheckpointException(cfg + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /**
     * A path a released config names, as its code would find it: absolute, or relative to the model directory, its
     * parent (the repository root LLaMA-Omni's README runs from) or the working directory; empty if none exists.
     */
    static Optional<Path> find(Path dir, String named) {
        List<Path> tries = candidates(dir, named);
        return tries.stream().filter(Files::exists).findFirst();
    }

    static List<Path> candidates(Path dir, String named) {
        Path p = Path.of(named);
        if (p.isAbsolute()) return List.of(p);
        List<Path> out = new ArrayList<>(List.of(dir.resolve(p)));
        Path abs = dir.toAbsolutePath().normalize();
        if (abs.getParent() != null) out.add(abs.getParent().resolve(p));
        out.add(p.toAbsolutePath());
        return out.stream().map(Path::normalize).distinct().toList();
    }

    /** An absolute, normalized path as auris.json's paths resolve against the model directory. */
    static String absolute(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }
}
