package dev.auris.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auris.fusion.ConnectorSpec;
import dev.auris.fusion.SelectorSpec;
import dev.auris.io.Checkpoint;
import dev.auris.io.CheckpointException;
import dev.auris.prompt.Instructions;
import dev.auris.prompt.PromptSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * LLaMA-Omni's Hugging Face directory (ictnlp/Llama-3.1-8B-Omni): {@code config.json} with {@code model_type}
 * {@code omni_speech2s_llama} (or {@code omni_speech_llama}, text only), the Llama weights under {@code model.*} /
 * {@code lm_head.*}, {@code speech_projector.*} ({@code speech_projector.py} {@code EncoderProjectorConcat}: k =
 * {@code speech_encoder_ds_rate} frames concatenated, linear1 → ReLU → linear2 — Auris's frame-stack-mlp) and
 * {@code speech_generator.*} (its speech decoder), and {@code speech_encoder} naming openai-whisper's
 * {@code large-v3.pt}.
 *
 * <p>As its {@code infer.py} runs it: the clip padded to Whisper's 30 s ({@code whisper.pad_or_trim}, 128 mels for
 * large-v3), all 1500 positions projected to 300 rows; the prompt {@code conversation.py}'s {@code conv_llama_3}
 * with its system prompt and {@code "<speech>\nPlease directly answer the questions in the user's speech."},
 * tokenized by {@code tokenizer_speech_token} — each piece through a tokenizer that adds BOS, the first kept, so
 * the prompt begins with BOS twice, as the model was trained. The vocoder is not in the directory: LLaMA-Omni's
 * README puts fairseq's unit HiFi-GAN in {@code vocoder/} beside it, which is where it is looked for
 * ({@code vocoder/} inside or beside the model directory) unless {@code --vocoder} says; Ω 40, its demo's chunk size.
 */
record LlamaOmniLayout(JsonNode config) implements ReleasedLayout {
    /** {@code conversation.py} {@code conv_llama_3.system}. */
    static final String SYSTEM = "You are a helpful language and speech assistant. You are able to understand the speech content that the user provides, "
            + "and assist the user with a variety of tasks using natural language.";
    /** What {@code infer.py}'s examples and the Gradio demo ask after the clip. */
    static final String INSTRUCTION = "Please directly answer the questions in the user's speech.";
    /** {@code conv_llama_3.get_prompt()} ({@code SeparatorStyle.LLAMA_3}) as a chat template: messages stripped, none for an empty system. */
    static final String TEMPLATE = "{{ '<|begin_of_text|>' }}{% for m in messages %}{% if m['role'] == 'system' %}{% if m['content'] %}"
            + "{{ '<|start_header_id|>system<|end_header_id|>\\n\\n' + m['content'] + '<|eot_id|>' }}{% endif %}{% else %}"
            + "{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + (m['content'] | trim) + '<|eot_id|>' }}{% endif %}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
    static final String PROJECTOR = "speech_projector.";
    static final int OMEGA = 40;

    @Override
    public Translation translate(Path dir, Overrides o) {
        Path cfg = dir.resolve("config.json");
        String type = config.path("speech_encoder_type").asText("whisper");
        if (!type.toLowerCase(java.util.Locale.ROOT).contains("whisper")) {
            throw new CheckpointException(cfg.toString(), null, "speech_encoder_type '" + type + "' is not a Whisper encoder", "LLaMA-Omni's released model uses whisper");
        }
        String projector = config.path("speech_projector_type").asText("linear");
        if (!projector.equals("linear")) {
            throw new CheckpointException(cfg.toString(), null, "speech_projector_type '" + projector + "' is unknown", "LLaMA-Omni's builder knows only 'linear' (EncoderProjectorConcat)");
        }
        int k = config.path("speech_encoder_ds_rate").asInt(5);
        int hidden;
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            String w1 = PROJECTOR + "linear1.weight";
            if (!ckpt.contains(w1)) {
                throw new CheckpointException(dir.toString(), w1, "missing: no speech projector in the weights",
                        "use LLaMA-Omni's full release (its model.safetensors holds speech_projector.* beside the Llama weights)");
            }
            hidden = (int) ckpt.info(w1).shape()[0];     // 2048 in EncoderProjectorConcat
        }
        Path encoder = o.encoder() != null ? o.encoder() : speechEncoder(dir, cfg);
        SpeechModelSpec.Speech speech = null;
        if (config.has("speech_generator_type")) {
            Path vocoder = o.vocoder() != null ? o.vocoder() : vocoder(dir).orElse(null);
            if (vocoder != null) speech = new SpeechModelSpec.Speech(ReleasedLayout.absolute(dir), ReleasedLayout.absolute(vocoder), null, OMEGA);
        }
        Path llm = o.llm() != null ? o.llm() : dir;
        SpeechModelSpec spec = new SpeechModelSpec(SpeechModelSpec.FORMAT,
                new SpeechModelSpec.EncoderRef(ReleasedLayout.absolute(encoder), true),
                new SpeechModelSpec.LlmRef(ReleasedLayout.absolute(llm)),
                new SelectorSpec.Final(), new ConnectorSpec.FrameStackMlp(k, hidden), null,
                new PromptSpec(TEMPLATE, SYSTEM, INSTRUCTION, Instructions.LLASM_ASR.getFirst(), true), null, null, speech);
        return new Translation(spec, dir, n -> n.replace("connector.fc1.", PROJECTOR + "linear1.").replace("connector.fc2.", PROJECTOR + "linear2."), null);
    }

    /** config.json's {@code speech_encoder}, found where {@code whisper.load_model(path)} run from LLaMA-Omni's repository would. */
    private Path speechEncoder(Path dir, Path cfg) {
        String named = config.path("speech_encoder").asText("");
        if (named.isEmpty()) {
            throw new CheckpointException(cfg.toString(), null, "has no speech_encoder", "pass the Whisper encoder: --encoder large-v3.pt (or a Hugging Face Whisper directory)");
        }
        return ReleasedLayout.find(dir, named).orElseThrow(() -> new CheckpointException(cfg.toString(), null,
                "speech_encoder '" + named + "' is not at " + ReleasedLayout.candidates(dir, named),
                "download it (python -c \"import whisper; whisper.load_model('large-v3', download_root='models/speech_encoder/')\" beside the model directory) "
                        + "or pass --encoder with the .pt file or a Hugging Face Whisper directory (openai/whisper-large-v3)"));
    }

    /** LLaMA-Omni's README: {@code vocoder/} (config.json + g_00500000) in the directory it runs from, beside the model. */
    private static Optional<Path> vocoder(Path dir) {
        for (Path p : List.of(dir.resolve("vocoder"), dir.toAbsolutePath().normalize().resolveSibling("vocoder"))) {
            if (Files.isRegularFile(p.resolve("config.json"))) return Optional.of(p);
        }
        return Optional.empty();
    }
}
