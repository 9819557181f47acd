package dev.auris.io;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face tensor names ⇄ llama.cpp's, for Llama-family decoders (llama.cpp
 * {@code gguf-py/gguf/tensor_mapping.py}, {@code constants.py MODEL_TENSOR_NAMES}):
 * {@code model.layers.3.self_attn.q_proj.weight} ⇄ {@code blk.3.attn_q.weight}.
 */
public final class GgufNames {
    private static final Map<String, String> GLOBAL = Map.of(
            "model.embed_tokens", "token_embd", "model.norm", "output_norm", "lm_head", "output");
    /** Per-layer module names, HF → llama.cpp. */
    private static final Map<String, String> LAYER = Map.ofEntries(
            Map.entry("input_layernorm", "attn_norm"),
            Map.entry("self_attn.q_proj", "attn_q"), Map.entry("self_attn.k_proj", "attn_k"),
            Map.entry("self_attn.v_proj", "attn_v"), Map.entry("self_attn.o_proj", "attn_output"),
            Map.entry("self_attn.q_norm", "attn_q_norm"), Map.entry("self_attn.k_norm", "attn_k_norm"),
            Map.entry("post_attention_layernorm", "ffn_norm"),
            Map.entry("mlp.gate_proj", "ffn_gate"), Map.entry("mlp.up_proj", "ffn_up"), Map.entry("mlp.down_proj", "ffn_down"));
    private static final Pattern HF_LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)\\.(weight|bias)");
    private static final Pattern HF_GLOBAL = Pattern.compile("(.+)\\.(weight|bias)");
    private static final Pattern GG_LAYER = Pattern.compile("blk\\.(\\d+)\\.(.+)\\.(weight|bias)");

    private GgufNames() {}

    /** llama.cpp's name for an HF tensor name, if it has one. */
    public static Optional<String> toGguf(String hf) {
        Matcher m = HF_LAYER.matcher(hf);
        if (m.matches()) {
            String mod = LAYER.get(m.group(2));
            return mod == null ? Optional.empty() : Optional.of("blk." + m.group(1) + "." + mod + "." + m.group(3));
        }
        m = HF_GLOBAL.matcher(hf);
        if (m.matches() && GLOBAL.containsKey(m.group(1))) return Optional.of(GLOBAL.get(m.group(1)) + "." + m.group(2));
        return Optional.empty();
    }

    /** The HF name of a llama.cpp tensor name, if it has one. */
    public static Optional<String> toHf(String gguf) {
        Matcher m = GG_LAYER.matcher(gguf);
        if (m.matches()) {
            for (var e : LAYER.entrySet()) {
                if (e.getValue().equals(m.group(2))) return Optional.of("model.layers." + m.group(1) + "." + e.getKey() + "." + m.group(3));
            }
            return Optional.empty();
        }
        m = HF_GLOBAL.matcher(gguf);
        if (m.matches()) {
            for (var e : GLOBAL.entrySet()) if (e.getValue().equals(m.group(1))) return Optional.of(e.getKey() + "." + m.group(2));
        }
        return Optional.empty();
    }

    /** Whether llama.cpp's converter permuted this tensor's rows for its RoPE (q and k of the {@code llama} architecture). */
    public static boolean isRopePermuted(String architecture, String hf) {
        return architecture.equals("llama") && (hf.matches(".*self_attn\\.[qk]_proj\\.(weight|bias)"));
    }
}
