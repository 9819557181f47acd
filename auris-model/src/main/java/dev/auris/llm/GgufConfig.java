package dev.auris.llm;

import dev.auris.io.CheckpointException;
import dev.auris.io.Gguf;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link LlmConfig} from a GGUF file's metadata, under llama.cpp's key names
 * ({@code gguf-py/gguf/constants.py Keys.LLM / Keys.Attention / Keys.Rope}): {@code {arch}.embedding_length},
 * {@code .block_count}, {@code .feed_forward_length}, {@code .attention.head_count(_kv)},
 * {@code .attention.key_length}, {@code .attention.layer_norm_rms_epsilon}, {@code .rope.freq_base},
 * {@code .rope.scaling.type/factor} (linear) or a {@code rope_freqs.weight} table (Llama 3.x), {@code .context_length}; the vocabulary size from
 * {@code tokenizer.ggml.tokens} (else {@code {arch}.vocab_size}, else token_embd's rows). A file without
 * {@code output.weight} ties the LM head to the embeddings, as llama.cpp does.
 */
final class GgufConfig {
    private GgufConfig() {}

    static LlmConfig read(Gguf g) {
        String file = g.file().toString();
        String arch = g.architecture();
        LlmConfig.Family family = switch (arch) {
            case "llama" -> LlmConfig.Family.LLAMA;
            case "qwen2" -> LlmConfig.Family.QWEN2;
            case "qwen3" -> LlmConfig.Family.QWEN3;
            default -> throw new CheckpointException(file, null, "architecture '" + arch + "' is not supported",
                    "Auris runs GGUF files of the llama, qwen2 and qwen3 architectures");
        };
        int hidden = req(g, arch + ".embedding_length"), heads = req(g, arch + ".attention.head_count");
        int kv = (int) g.integer(arch + ".attention.head_count_kv").orElse(heads);
        int headDim = (int) g.integer(arch + ".attention.key_length").orElse(heads > 0 ? hidden / heads : 0);
        int vocab = g.array("tokenizer.ggml.tokens").size();
        if (vocab == 0) vocab = (int) g.integer(arch + ".vocab_size").orElse(g.contains("token_embd.weight") ? g.info("token_embd.weight").ne()[1] : 0);
        LlmConfig.RopeScaling scaling = null;
        String type = g.string(arch + ".rope.scaling.type").orElse("none");
        switch (type) {
            case "none" -> { }
            case "linear" -> scaling = new LlmConfig.RopeScaling("linear", g.number(arch + ".rope.scaling.factor").orElse(1), 1, 4, 8192);
            default -> throw new CheckpointException(file, null, "RoPE scaling '" + type + "' is not supported", "Auris supports none and linear RoPE scaling from GGUF");
        }
        if (g.contains("rope_freqs.weight")) {
            scaling = llama3(g, g.number(arch + ".rope.freq_base").orElse(10000), headDim,
                    (int) g.integer(arch + ".rope.scaling.original_context_length").orElse(8192));
        }
        List<Integer> eos = new ArrayList<>();
        g.integer("tokenizer.ggml.eos_token_id").ifPresent(e -> eos.add((int) e));
        g.integer("tokenizer.ggml.eot_token_id").ifPresent(e -> { if (!eos.contains((int) e)) eos.add((int) e); });
        boolean bias = family == LlmConfig.Family.QWEN2 || g.contains("blk.0.attn_q.bias");
        try {
            return new LlmConfig(family, hidden, req(g, arch + ".feed_forward_length"), req(g, arch + ".block_count"), heads, kv, headDim, vocab,
                    g.number(arch + ".attention.layer_norm_rms_epsilon").orElse(1e-5), g.number(arch + ".rope.freq_base").orElse(10000),
                    scaling, !g.contains("output.weight"), bias, (int) g.integer(arch + ".context_length").orElse(2048),
                    (int) g.integer("tokenizer.ggml.bos_token_id").orElse(1), eos);
        } catch (CheckpointException e) {
            throw new CheckpointException(file + ": " + e.getMessage().replace("config.json: ", "metadata: "), e);
        }
    }

    /**
     * Llama 3.1's RoPE scaling, which convert_hf_to_gguf.py stores as {@code rope_freqs.weight}: per frequency the
     * divisor llama.cpp applies (1 for short wavelengths, factor for long ones, interpolated between;
     * {@code LlamaModel.generate_extra_tensors}). Read back as transformers' llama3 parameters: factor = the largest
     * divisor, low 1, high 4 (every Llama 3.x), checked against every divisor so that other tables are refused.
     */
    static LlmConfig.RopeScaling llama3(Gguf g, double theta, int headDim, int originalContext) {
        float[] ff = g.floats("rope_freqs.weight");
        if (ff.length != headDim / 2) {
            throw new CheckpointException(g.file().toString(), "rope_freqs.weight", "has " + ff.length + " factors for head_dim " + headDim, "the file is corrupt");
        }
        double factor = 1;
        for (float f : ff) factor = Math.max(factor, f);
        LlmConfig.RopeScaling s = new LlmConfig.RopeScaling("llama3", factor, 1, 4, originalContext);
        double lowWavelen = originalContext / s.lowFreqFactor(), highWavelen = originalContext / s.highFreqFactor();
        for (int i = 0; i < ff.length; i++) {
            double freq = 1.0 / Math.pow(theta, (2.0 * i) / headDim), wavelen = 2 * Math.PI / freq, want;
            if (wavelen < highWavelen) want = 1;
            else if (wavelen > lowWavelen) want = factor;
            else {
                double smooth = (originalContext / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                want = 1 / ((1 - smooth) / factor + smooth);
            }
            if (Math.abs(want - ff[i]) > 1e-5 * want) {
                throw new CheckpointException(g.file().toString(), "rope_freqs.weight", "factor " + i + " is " + ff[i] + " where Llama 3's RoPE scaling (factor "
                        + factor + ", low 1, high 4, original context " + originalContext + ") gives " + want, "Auris applies Llama 3.x RoPE factors only; run the model's Hugging Face directory");
            }
        }
        return s;
    }

    private static int req(Gguf g, String key) {
        long v = g.integer(key).orElseThrow(() -> new CheckpointException(g.file().toString(), null, "metadata lacks " + key,
                "the file is not a complete llama.cpp model; convert it again with convert_hf_to_gguf.py"));
        if (v <= 0 || v > Integer.MAX_VALUE) throw new CheckpointException(g.file().toString(), null, key + " = " + v + " is not plausible", "the file is corrupt");
        return (int) v;
    }
}
