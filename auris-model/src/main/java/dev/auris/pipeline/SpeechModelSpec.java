package dev.auris.pipeline;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.auris.io.AtomicFiles;
import dev.auris.io.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code auris.json}: what a speech LLM directory is made of. Base checkpoints are referenced by path
 * (relative to the directory); what Auris trained is in {@code weights} (safetensors).
 *
 * <pre>{@code
 * {"format": "auris/1",
 *  "encoder": {"path": "encoder", "pad_30s": false},
 *  "llm": {"path": "llm"},
 *  "selector": {"type": "final"},
 *  "connector": {"type": "frame-stack-mlp", "k": 5, "hidden": 2048},
 *  "prompt": {"system": "...", "instruction": "...", "template": null, "add_bos": false},
 *  "weights": "fusion.safetensors"}
 * }</pre>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SpeechModelSpec(String format, EncoderRef encoder, LlmRef llm, Map<String, Object> selector,
                              Map<String, Object> connector, PromptSpec prompt, String weights, Map<String, Object> lora) {
    public static final String FORMAT = "auris/1";

    /** The speech encoder directory and whether clips are padded to Whisper's 30 s window. */
    public record EncoderRef(String path, @com.fasterxml.jackson.annotation.JsonProperty("pad_30s") boolean pad30s) {}

    /** The LLM directory. */
    public record LlmRef(String path) {}

    /**
     * How conversations become LLM input. {@code template}: a Jinja chat template (null: the LLM's own,
     * else plain concatenation); {@code system}: system prompt; {@code instruction}: appended to a user
     * turn that holds only speech; {@code transcribe}: the instruction that asks for a transcript
     * ({@code auris transcribe}); {@code addBos}: prepend the BOS token id (for templates without one).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PromptSpec(String template, String system, String instruction, String transcribe, boolean addBos) {
        public PromptSpec(String template, String system, String instruction, boolean addBos) {
            this(template, system, instruction, null, addBos);
        }

        /** LLaMA-Omni's fixed speech prompt (and LLaSM's ASR instruction for transcripts). */
        public static PromptSpec llamaOmni() {
            return new PromptSpec(null, "You are a helpful language and speech assistant. You are able to understand the speech content that the user provides, "
                    + "and assist the user with a variety of tasks using natural language.", dev.auris.prompt.Instructions.LLAMA_OMNI,
                    dev.auris.prompt.Instructions.LLASM_ASR.getFirst(), false);
        }
    }

    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS); // selector/connector/lora maps: the same bytes on every run

    public static SpeechModelSpec read(Path dir) {
        Path f = dir.resolve("auris.json");
        if (!Files.isRegularFile(f)) {
            throw new CheckpointException(dir.toString(), null, "no auris.json", "point --model at an Auris model directory (create one with `auris compose`)");
        }
        SpeechModelSpec s;
        try {
            s = JSON.readValue(f.toFile(), SpeechModelSpec.class);
        } catch (IOException e) {
            throw new CheckpointException(f + ": not a valid auris.json (" + e.getMessage().lines().findFirst().orElse("") + ")", e);
        }
        if (!FORMAT.equals(s.format())) throw new CheckpointException(f + ": format is '" + s.format() + "', expected '" + FORMAT + "'");
        if (s.encoder() == null || s.encoder().path() == null) throw new CheckpointException(f + ": missing encoder.path (the Whisper encoder directory)");
        if (s.llm() == null || s.llm().path() == null) throw new CheckpointException(f + ": missing llm.path (the LLM directory)");
        if (s.selector() == null || !s.selector().containsKey("type")) throw new CheckpointException(f + ": missing selector.type (" + Fusion.SELECTOR_TYPES + ")");
        if (s.connector() == null || !s.connector().containsKey("type")) {
            throw new CheckpointException(f + ": missing connector.type (" + Fusion.CONNECTOR_TYPES + ")");
        }
        return s;
    }

    public void write(Path dir) {
        try {
            AtomicFiles.writeString(dir.resolve("auris.json"), JSON.writeValueAsString(this) + "\n");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
