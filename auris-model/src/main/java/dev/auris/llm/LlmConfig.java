package dev.auris.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.io.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Llama-family decoder as Hugging Face {@code config.json} describes it. One record covers the
 * families Auris runs; {@link Family} holds what differs (q/k/v bias for Qwen2, q/k RMSNorm for Qwen3).
 */
public record LlmConfig(
        Family family,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int vocabSize,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        int maxPositionEmbeddings,
        int bosTokenId,
        List<Integer> eosTokenIds) {

    /** Model families by their HF {@code architectures} entry. */
    public enum Family {
        LLAMA("LlamaForCausalLM"), MISTRAL("MistralForCausalLM"), QWEN2("Qwen2ForCausalLM"), QWEN3("Qwen3ForCausalLM");

        public final String architecture;

        Family(String architecture) { this.architecture = architecture; }

        public boolean qkNorm() { return this == QWEN3; }
    }

    /** {@code rope_scaling}: {@code default}, {@code linear} (positions / factor) or {@code llama3}. */
    public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {}

    public LlmConfig {
        require(hiddenSize > 0 && numLayers > 0 && numHeads > 0 && vocabSize > 0, "hidden_size, num_hidden_layers, num_attention_heads and vocab_size must be positive");
        require(numKvHeads > 0 && numHeads % numKvHeads == 0, "num_attention_heads (" + numHeads + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        require(headDim > 0 && headDim % 2 == 0, "head_dim must be even and positive, got " + headDim);
        require(intermediateSize > 0, "intermediate_size must be positive, got " + intermediateSize);
        require(maxPositionEmbeddings > 0, "max_position_embeddings must be positive, got " + maxPositionEmbeddings);
        require((long) numHeads * headDim <= Integer.MAX_VALUE && (long) hiddenSize * vocabSize <= Integer.MAX_VALUE * 64L,
                "hidden_size " + hiddenSize + ", vocab_size " + vocabSize + ", num_attention_heads " + numHeads + " × head_dim " + headDim + " are too large to be a real model");
        require(Double.isFinite(rmsNormEps) && rmsNormEps >= 0, "rms_norm_eps must be a finite non-negative number, got " + rmsNormEps);
        require(Double.isFinite(ropeTheta) && ropeTheta > 0, "rope_theta must be positive, got " + ropeTheta);
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    private static void require(boolean ok, String msg) {
        if (!ok) throw new CheckpointException("config.json: " + msg);
    }

    public int kvGroups() { return numHeads / numKvHeads; }

    public static LlmConfig read(Path configJson) {
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(Files.readString(configJson));
        } catch (IOException e) {
            throw new CheckpointException(configJson + ": cannot read config (" + e.getMessage() + ")", e);
        }
        return of(c, configJson.toString());
    }

    /** The config whose JSON tree {@code c} was read from {@code configJson}. */
    public static LlmConfig of(Path configJson, JsonNode c) {
        return of(c, configJson.toString());
    }

    /**
     * A config.json already parsed ({@code where} names it in errors), e.g. the {@code text_config} a composite
     * model embeds; without {@code architectures}, {@code model_type} llama / mistral / qwen2 / qwen3 decides.
     */
    public static LlmConfig of(JsonNode c, String where) {
        Path configJson = Path.of(where);
        if (c == null || !c.isObject()) throw new CheckpointException(configJson + ": not a JSON object");
        String arch = c.path("architectures").path(0).asText("");
        if (arch.isEmpty()) {
            arch = switch (c.path("model_type").asText("")) {
                case "llama" -> Family.LLAMA.architecture;
                case "mistral" -> Family.MISTRAL.architecture;
                case "qwen2" -> Family.QWEN2.architecture;
                case "qwen3" -> Family.QWEN3.architecture;
                default -> "";
            };
        }
        Family family = null;
        for (Family f : Family.values()) if (f.architecture.equals(arch)) family = f;
        // LLaMA-Omni's speech-to-speech and speech-to-text classes wrap a LlamaForCausalLM with the same weight names
        if (arch.equals("OmniSpeech2SLlamaForCausalLM") || arch.equals("OmniSpeechLlamaForCausalLM")) family = Family.LLAMA;
        if (family == null) {
            throw new CheckpointException(configJson.toString(), null, "unsupported architecture '" + arch + "'",
                    "Auris runs LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM");
        }
        int hidden = c.path("hidden_size").asInt();
        int heads = c.path("num_attention_heads").asInt();
        int headDim = c.hasNonNull("head_dim") ? c.get("head_dim").asInt() : heads > 0 ? hidden / heads : 0;
        RopeScaling scaling = null;
        JsonNode rs = c.path("rope_scaling");
        if (rs.isObject()) {
            String type = rs.has("rope_type") ? rs.get("rope_type").asText() : rs.path("type").asText("default");
            if (!List.of("default", "linear", "llama3").contains(type)) {
                throw new CheckpointException(configJson.toString(), null, "rope_scaling type '" + type + "' is not supported",
                        "Auris supports default, linear and llama3 RoPE scaling");
            }
            scaling = new RopeScaling(type, rs.path("factor").asDouble(1), rs.path("low_freq_factor").asDouble(1),
                    rs.path("high_freq_factor").asDouble(4), rs.path("original_max_position_embeddings").asInt(8192));
        }
        List<Integer> eos = new ArrayList<>();
        JsonNode e = c.path("eos_token_id");
        if (e.isArray()) e.forEach(x -> eos.add(x.asInt()));
        else if (e.isNumber()) eos.add(e.asInt());
        boolean bias = family == Family.QWEN2 || c.path("attention_bias").asBoolean(false);
        return new LlmConfig(family, hidden, c.path("intermediate_size").asInt(), c.path("num_hidden_layers").asInt(), heads,
                c.path("num_key_value_heads").asInt(heads), headDim, c.path("vocab_size").asInt(),
                c.path("rms_norm_eps").asDouble(1e-6), c.path("rope_theta").asDouble(10000), scaling,
                c.path("tie_word_embeddings").asBoolean(false), bias, c.path("max_position_embeddings").asInt(2048),
                c.path("bos_token_id").asInt(1), eos);
    }
}
