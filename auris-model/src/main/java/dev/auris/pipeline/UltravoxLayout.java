package dev.auris.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auris.fusion.ConnectorSpec;
import dev.auris.fusion.SelectorSpec;
import dev.auris.io.Checkpoint;
import dev.auris.io.CheckpointException;
import dev.auris.prompt.PromptSpec;
import dev.auris.encoder.WhisperConfig;
import dev.auris.features.LogMel;
import dev.auris.llm.LlmConfig;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An Ultravox release (fixie-ai/ultravox-v0_5-*): {@code config.json} with {@code model_type} "ultravox", the
 * audio and text models named by {@code audio_model_id} / {@code text_model_id}, and {@code model.safetensors}
 * holding {@code multi_modal_projector.*} ({@code ultravox_model.py} {@code UltravoxProjector}: {@code stack_factor}
 * frames stacked, RMSNorm, linear_1 → SwiGLU → [ln_mid] → linear_2 → [ln_post]), with the tokenizer and chat
 * template beside it.
 *
 * <p>As {@code UltravoxProcessor} runs it: no padding to 30 s (positions sliced, {@code ModifiedWhisperEncoder}),
 * {@code ceil(frames / (2·stack_factor))} embeddings spliced where the chat template puts {@code <|audio|>}, the
 * text tokenized without added special tokens. The ids are usually Hugging Face hub names; Auris runs offline,
 * so they must be local directories: a path in config.json (absolute, or relative to the release or the working
 * directory) or {@code --encoder} / {@code --llm}. A checkpoint that holds the audio tower or the language model
 * itself ({@code audio_tower.*}, {@code language_model.*}: fine-tuned, LoRA merged, or a full save) is read from
 * there — those weights win over the base model an id names — with the config embedded ({@code audio_config},
 * {@code text_config}) or, when the release drops it, the named model's.
 */
record UltravoxLayout(JsonNode config) implements ReleasedLayout {
    static final String PROJECTOR = "multi_modal_projector.";

    static final String AUDIO_TOWER = "audio_tower.", LANGUAGE_MODEL = "language_model.";

    @Override
    public Translation translate(Path dir, Overrides o) {
        Path cfg = dir.resolve("config.json");
        String act = config.path("projector_act").asText("swiglu");
        if (!act.equals("swiglu")) {
            throw new CheckpointException(cfg.toString(), null, "projector_act '" + act + "' is not supported", "Ultravox releases use swiglu");
        }
        boolean audioInside, textInside;
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            if (!ckpt.contains(PROJECTOR + "linear_1.weight")) {
                throw new CheckpointException(dir.toString(), PROJECTOR + "linear_1.weight", "missing: no multi-modal projector in the weights",
                        "point at an Ultravox release directory (config.json + model.safetensors with multi_modal_projector.*)");
            }
            audioInside = ckpt.contains(AUDIO_TOWER + "conv1.weight");
            textInside = ckpt.contains(LANGUAGE_MODEL + "model.embed_tokens.weight");
        }
        boolean ownTokenizer = Files.isRegularFile(dir.resolve("tokenizer.json")) || Files.isRegularFile(dir.resolve("tokenizer.model"));
        // weights in the checkpoint (fine-tuned, merged) win over the models the ids name; their configs come embedded or from those models
        Path encoder = audioInside ? null : o.encoder() != null ? o.encoder() : model(dir, cfg, "audio_model_id", "audio_config", "--encoder");
        Path llm = textInside ? null : o.llm() != null ? o.llm() : model(dir, cfg, "text_model_id", "text_config", "--llm");
        WhisperConfig audio = !audioInside ? null : config.path("audio_config").has("d_model")
                ? WhisperConfig.of(config.get("audio_config"), LogMel.HOP_LENGTH, cfg + " (audio_config)")
                : WhisperConfig.read(local(dir, cfg, o.encoder(), "audio_model_id", "--encoder").resolve("config.json"));
        LlmConfig text = !textInside ? null : config.path("text_config").has("hidden_size")
                ? LlmConfig.of(config.get("text_config"), cfg + " (text_config)")
                : LlmConfig.read(local(dir, cfg, o.llm(), "text_model_id", "--llm").resolve("config.json"));
        if (textInside && !ownTokenizer) {
            throw new CheckpointException(dir.toString(), null, "holds the language model's weights but no tokenizer", "keep the release's tokenizer.json beside its config.json");
        }
        var connector = new ConnectorSpec.Ultravox(config.path("stack_factor").asInt(8), config.path("hidden_size").asInt(4096),
                config.path("projector_ln_mid").asBoolean(false));
        SpeechModelSpec spec = new SpeechModelSpec(SpeechModelSpec.FORMAT,
                new SpeechModelSpec.EncoderRef(ReleasedLayout.absolute(encoder != null ? encoder : dir), false),
                new SpeechModelSpec.LlmRef(ReleasedLayout.absolute(llm != null ? llm : dir)),
                new SelectorSpec.Final(), connector, null, new PromptSpec(null, null, null, "Transcribe the speech into text.", false), null, null);
        return new Translation(spec, dir, n -> n.replace("connector.", PROJECTOR), ownTokenizer ? dir : null,
                new Embedded(audio, AUDIO_TOWER, text, LANGUAGE_MODEL));
    }

    /** The override, or the id's local directory, whose config.json describes an embedded part. */
    private Path local(Path dir, Path cfg, Path override, String key, String option) {
        return override != null ? override : model(dir, cfg, key, key.startsWith("audio") ? "audio_config" : "text_config", option);
    }

    /** The local directory of {@code audio_model_id} / {@code text_model_id}, or an error that says which to pass. */
    private Path model(Path dir, Path cfg, String key, String embedded, String option) {
        String id = config.path(key).asText("");
        if (id.isEmpty()) {
            String name = config.path(embedded).path("_name_or_path").asText("");
            throw new CheckpointException(cfg.toString(), null, "has no " + key + " (the " + embedded + " is embedded"
                    + (name.isEmpty() ? "" : ", from '" + name + "'") + " but its weights are not in this directory)",
                    "pass " + option + " with the local Hugging Face directory of that model");
        }
        return ReleasedLayout.find(dir, id).filter(p -> Files.isRegularFile(p.resolve("config.json"))).orElseThrow(() -> new CheckpointException(cfg.toString(), null,
                key + " '" + id + "' is a Hugging Face hub name, not a local directory (looked at " + ReleasedLayout.candidates(dir, id) + ")",
                "download it (huggingface-cli download " + id + " --local-dir DIR) and pass " + option + " DIR"));
    }
}
