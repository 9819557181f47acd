package dev.auris.pipeline;

import dev.auris.prompt.PromptSpec;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.auris.fusion.ConnectorSpec;
import dev.auris.fusion.SelectorSpec;
import dev.auris.llm.LoraSpec;
import dev.auris.hearing.Decoding;
import dev.auris.io.AtomicFiles;
import dev.auris.io.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
 *  "decoding": {"beam": 8, "ctc_weight": 0.5},           (ctc-compress models: how a clip is heard)
 *  "prompt": {"system": "...", "instruction": "...", "template": null, "add_bos": false},
 *  "weights": "fusion.safetensors",
 *  "speech": {"decoder": "speech/decoder", "vocoder": "speech/vocoder", "units": "speech/units", "omega": 25}}   (optional)
 * }</pre>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SpeechModelSpec(String format, EncoderRef encoder, LlmRef llm, SelectorSpec selector,
                              ConnectorSpec connector, Decoding decoding, PromptSpec prompt, String weights, Adapters lora, Speech speech) {
    public static final String FORMAT = "auris/1";

    /** The same model without a voice (every field but {@code speech}). */
    public SpeechModelSpec(String format, EncoderRef encoder, LlmRef llm, SelectorSpec selector, ConnectorSpec connector,
                           Decoding decoding, PromptSpec prompt, String weights, Adapters lora) {
        this(format, encoder, llm, selector, connector, decoding, prompt, weights, lora, null);
    }

    /**
     * What makes the model speak (LLaMA-Omni's speech decoder and a unit vocoder), by directories relative
     * to the model's: {@code decoder} (config.json + {@code speech_generator.*} safetensors), {@code vocoder}
     * (config.json + weights), {@code units} (the k-means codebook the two were trained on; for evaluation
     * and training, optional at inference), and Ω, units per vocoder call while streaming (25 when absent).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Speech(String decoder, String vocoder, String units, Integer omega) {
        public Speech {
            omega = omega == null ? 25 : omega;
            if (decoder == null || vocoder == null) throw new IllegalArgumentException("speech needs both decoder and vocoder (directories relative to the model)");
            if (omega < 1) throw new IllegalArgumentException("speech.omega (units per vocoder call) must be ≥ 1, got " + omega);
        }
    }

    /**
     * The LoRA adapters a model carries ({@code lora.safetensors} in PEFT's tensor names): rank 8, alpha 16,
     * dropout 0 and every projection when absent.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Adapters(Integer rank, Double alpha, Double dropout, List<String> targets, String weights) {
        public Adapters {
            rank = rank == null ? 8 : rank;
            alpha = alpha == null ? 16.0 : alpha;
            dropout = dropout == null ? 0.0 : dropout;
            targets = targets == null ? LoraSpec.ALL : List.copyOf(targets);
            weights = weights == null ? "lora.safetensors" : weights;
        }

        public static Adapters of(LoraSpec s) {
            return new Adapters(s.rank(), s.alpha(), s.dropout(), s.targets(), "lora.safetensors");
        }

        public LoraSpec spec() {
            return new LoraSpec(rank, alpha, dropout, targets);
        }
    }

    /** The speech encoder directory and whether clips are padded to Whisper's 30 s window. */
    public record EncoderRef(String path, @com.fasterxml.jackson.annotation.JsonProperty("pad_30s") boolean pad30s) {}

    /** The LLM directory. */
    public record LlmRef(String path) {}

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
        try {
            return parse(f, Files.readAllBytes(f));
        } catch (IOException e) {
            throw new CheckpointException(f + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** The auris.json {@code f} whose bytes are {@code json}. */
    public static SpeechModelSpec parse(Path f, byte[] json) {
        SpeechModelSpec s;
        try {
            var tree = migrated(JSON.readTree(json));
            if (tree == null || !tree.isObject()) throw new CheckpointException("not a JSON object");
            sectionTypes(tree);
            s = JSON.treeToValue(tree, SpeechModelSpec.class);
        } catch (CheckpointException e) {
            throw new CheckpointException(f + ": " + e.getMessage(), e);
        } catch (IOException | IllegalArgumentException e) {
            String why = e instanceof IOException ? e.getMessage().lines().findFirst().orElse("") : e.getMessage();
            throw new CheckpointException(f + ": not a valid auris.json (" + why + ")", e);
        }
        if (!FORMAT.equals(s.format())) throw new CheckpointException(f + ": format is '" + s.format() + "', expected '" + FORMAT + "'");
        if (s.encoder() == null || s.encoder().path() == null) throw new CheckpointException(f + ": missing encoder.path (the Whisper encoder directory)");
        if (s.llm() == null || s.llm().path() == null) throw new CheckpointException(f + ": missing llm.path (the LLM directory)");
        return s;
    }

    /** The selector and connector sections name a type auris.json knows (with the error that lists them). */
    @SuppressWarnings("unchecked")
    private static void sectionTypes(com.fasterxml.jackson.databind.JsonNode tree) {
        SelectorSpec.of(tree.path("selector").isObject() ? JSON.convertValue(tree.get("selector"), Map.class) : null);
        ConnectorSpec.of(tree.path("connector").isObject() ? JSON.convertValue(tree.get("connector"), Map.class) : null);
    }

    /**
     * An auris.json as written before the {@code decoding} section: a ctc-compress connector kept beam,
     * ctc_weight, length_bonus and tta_warps itself. They move to {@code decoding}, so old files load as they did.
     */
    private static com.fasterxml.jackson.databind.JsonNode migrated(com.fasterxml.jackson.databind.JsonNode j) {
        if (!(j instanceof com.fasterxml.jackson.databind.node.ObjectNode o) || !o.path("connector").isObject()) return j;
        @SuppressWarnings("unchecked")
        Map<String, Object> connector = JSON.convertValue(o.get("connector"), Map.class);
        var split = Decoding.split(connector);
        if (split.getKey() == null) return j;
        if (o.has("decoding")) throw new IllegalArgumentException("decoding settings given both in connector (the older layout) and in decoding: keep the decoding section");
        o.set("connector", JSON.valueToTree(split.getValue()));
        o.set("decoding", JSON.valueToTree(split.getKey()));
        return o;
    }

    public void write(Path dir) {
        try {
            AtomicFiles.writeString(dir.resolve("auris.json"), JSON.writeValueAsString(this) + "\n");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
