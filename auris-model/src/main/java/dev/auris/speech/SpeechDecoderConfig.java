package dev.auris.speech;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.io.CheckpointException;
import dev.auris.llm.LlmConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LLaMA-Omni's speech generator as its Hugging Face {@code config.json} describes it
 * ({@code omni_speech2s_llama.py} {@code initialize_speech_generator}): {@code speech_generator_type} "ctc",
 * {@code ctc_decoder_config} "(layers,width,heads,ffn)", {@code ctc_upsample_factor} λ,
 * {@code ctc_loss_weight}, {@code unit_vocab_size} K. The decoder layers are the LLM's
 * {@code LlamaDecoderLayer}s on a copy of its config (RMSNorm ε, RoPE θ and scaling, attention bias) with
 * width, heads (= key/value heads) and ffn replaced, so {@link #layers()} is that copy.
 *
 * @param llmHidden the LLM's {@code hidden_size} D (the input of {@code input_proj})
 * @param layers    the decoder stack as an {@link LlmConfig}: width W, heads, ffn, RoPE, ε (vocabulary = K + 1)
 */
public record SpeechDecoderConfig(int llmHidden, LlmConfig layers, int upsampleFactor, int units, double lossWeight) {
    private static final Pattern DECODER = Pattern.compile("\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\)");

    public SpeechDecoderConfig {
        if (llmHidden <= 0) throw new CheckpointException("config.json: hidden_size must be positive, got " + llmHidden);
        if (upsampleFactor <= 0) throw new CheckpointException("config.json: ctc_upsample_factor must be ≥ 1, got " + upsampleFactor);
        if (units <= 0) throw new CheckpointException("config.json: unit_vocab_size must be positive, got " + units);
        if (layers.hiddenSize() % layers.numHeads() != 0) {
            throw new CheckpointException("config.json: ctc_decoder_config width " + layers.hiddenSize() + " is not a multiple of its head count " + layers.numHeads());
        }
    }

    /** The blank label: index K, after the units (speech_generator.py: {@code blank=self.unit_vocab_size}). */
    public int blank() { return units; }

    public int width() { return layers.hiddenSize(); }

    public static SpeechDecoderConfig read(Path configJson) {
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(Files.readString(configJson));
        } catch (IOException e) {
            throw new CheckpointException(configJson + ": cannot read config (" + e.getMessage() + ")", e);
        }
        return of(configJson.toString(), c);
    }

    /** From the parsed config.json (keys as LLaMA-Omni writes them). */
    public static SpeechDecoderConfig of(String file, JsonNode c) {
        String type = c.path("speech_generator_type").asText("");
        if (!type.equals("ctc")) {
            throw new CheckpointException(file, null, type.isEmpty() ? "has no speech_generator_type (not a LLaMA-Omni speech-to-speech model)"
                    : "speech_generator_type '" + type + "' is not supported", "LLaMA-Omni's speech generator is 'ctc'");
        }
        String dec = c.path("ctc_decoder_config").asText("");
        Matcher m = DECODER.matcher(dec);
        if (!m.matches()) {
            throw new CheckpointException(file, null, "ctc_decoder_config '" + dec + "' is not '(layers,width,heads,ffn)'", "write it as LLaMA-Omni does, e.g. \"(2,4096,32,11008)\"");
        }
        int n = Integer.parseInt(m.group(1)), w = Integer.parseInt(m.group(2)), h = Integer.parseInt(m.group(3)), f = Integer.parseInt(m.group(4));
        int units = c.path("unit_vocab_size").asInt(1000);
        LlmConfig.RopeScaling scaling = null;
        JsonNode rs = c.path("rope_scaling");
        if (rs.isObject()) {
            String rt = rs.has("rope_type") ? rs.get("rope_type").asText() : rs.path("type").asText("default");
            if (!List.of("default", "linear", "llama3").contains(rt)) {
                throw new CheckpointException(file, null, "rope_scaling type '" + rt + "' is not supported", "the speech decoder supports default, linear and llama3 RoPE");
            }
            scaling = new LlmConfig.RopeScaling(rt, rs.path("factor").asDouble(1), rs.path("low_freq_factor").asDouble(1),
                    rs.path("high_freq_factor").asDouble(4), rs.path("original_max_position_embeddings").asInt(8192));
        }
        // transformers 4.43 LlamaAttention: head_dim = hidden_size // num_heads of the copied config
        LlmConfig layers = new LlmConfig(LlmConfig.Family.LLAMA, w, f, n, h, h, h > 0 ? w / h : 0, units + 1,
                c.path("rms_norm_eps").asDouble(1e-6), c.path("rope_theta").asDouble(10000), scaling, false,
                c.path("attention_bias").asBoolean(false), c.path("max_position_embeddings").asInt(2048), 0, List.of());
        return new SpeechDecoderConfig(c.path("hidden_size").asInt(), layers, c.path("ctc_upsample_factor").asInt(1), units,
                c.path("ctc_loss_weight").asDouble(1.0));
    }
}
