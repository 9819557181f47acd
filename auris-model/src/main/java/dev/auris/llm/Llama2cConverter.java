package dev.auris.llm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.io.CheckpointException;
import dev.auris.core.DType;
import dev.auris.io.SafeTensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Converts a llama2.c checkpoint (legacy format: 7 int header {@code dim, hidden_dim, n_layers, n_heads,
 * n_kv_heads, vocab_size, seq_len}, a negative vocab meaning an unshared classifier, then float32 weights
 * grouped by kind across layers) into the Hugging Face Llama layout. As in transformers'
 * {@code convert_llama_weights_to_hf.py}, q/k rows are permuted from llama2.c's interleaved RoPE pairs to
 * HF's {@code rotate_half} halves.
 *
 * <p>Writes {@code config.json}, {@code model.safetensors}, {@code generation_config.json} and, when a
 * tokenizer is given, {@code tokenizer.bin}. llama2.c models start every story with BOS (1) and never
 * saw an EOS, so run.c stops at a generated BOS: generation_config lists 1 and 2 as end tokens.
 */
public final class Llama2cConverter {
    private Llama2cConverter() {}

    public static void convert(Path checkpoint, Path tokenizer, Path outDir) {
        ByteBuffer b;
        try {
            b = ByteBuffer.wrap(Files.readAllBytes(checkpoint)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + checkpoint + ": " + e.getMessage(), e);
        }
        String f = checkpoint.toString();
        if (b.remaining() < 28) throw new CheckpointException(f, null, "too short for a llama2.c header", "give a llama2.c .bin checkpoint");
        int dim = b.getInt(), hidden = b.getInt(), layers = b.getInt(), heads = b.getInt(), kvHeads = b.getInt(), vocabRaw = b.getInt(), seqLen = b.getInt();
        boolean shared = vocabRaw > 0;
        int vocab = Math.abs(vocabRaw);
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || seqLen <= 0 || dim % heads != 0 || heads % kvHeads != 0) {
            throw new CheckpointException(f, null, "implausible header dim=" + dim + " hidden=" + hidden + " layers=" + layers + " heads=" + heads
                    + " kv_heads=" + kvHeads + " vocab=" + vocabRaw + " seq_len=" + seqLen, "this is not a llama2.c legacy (version 0) checkpoint");
        }
        int hd = dim / heads, kvDim = kvHeads * hd;
        long need = (long) vocab * dim + (long) layers * (2L * dim + 2L * dim * dim + 2L * dim * kvDim + 3L * dim * hidden) + dim + (long) seqLen * hd
                + (shared ? 0 : (long) vocab * dim);
        FloatBuffer fb = b.asFloatBuffer();
        if (fb.remaining() < need) {
            throw new CheckpointException(f, null, "holds " + fb.remaining() + " floats after the header but the header implies " + need, "the file is truncated; download it again");
        }
        Map<String, SafeTensorsWriter.Entry> t = new LinkedHashMap<>();
        float[] embed = take(fb, (long) vocab * dim);
        t.put("model.embed_tokens.weight", entry(embed, vocab, dim));
        float[][] attNorm = split(take(fb, (long) layers * dim), layers);
        float[][] wq = split(take(fb, (long) layers * dim * dim), layers);
        float[][] wk = split(take(fb, (long) layers * kvDim * dim), layers);
        float[][] wv = split(take(fb, (long) layers * kvDim * dim), layers);
        float[][] wo = split(take(fb, (long) layers * dim * dim), layers);
        float[][] ffnNorm = split(take(fb, (long) layers * dim), layers);
        float[][] w1 = split(take(fb, (long) layers * hidden * dim), layers);
        float[][] w2 = split(take(fb, (long) layers * dim * hidden), layers);
        float[][] w3 = split(take(fb, (long) layers * hidden * dim), layers);
        float[] finalNorm = take(fb, dim);
        take(fb, (long) seqLen * hd); // freq_cis_real, freq_cis_imag (recomputed from rope_theta)
        float[] cls = shared ? null : take(fb, (long) vocab * dim);
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            t.put(p + "input_layernorm.weight", entry(attNorm[i], dim));
            t.put(p + "self_attn.q_proj.weight", entry(permute(wq[i], heads, dim, dim), dim, dim));
            t.put(p + "self_attn.k_proj.weight", entry(permute(wk[i], kvHeads, kvDim, dim), kvDim, dim));
            t.put(p + "self_attn.v_proj.weight", entry(wv[i], kvDim, dim));
            t.put(p + "self_attn.o_proj.weight", entry(wo[i], dim, dim));
            t.put(p + "post_attention_layernorm.weight", entry(ffnNorm[i], dim));
            t.put(p + "mlp.gate_proj.weight", entry(w1[i], hidden, dim));
            t.put(p + "mlp.down_proj.weight", entry(w2[i], dim, hidden));
            t.put(p + "mlp.up_proj.weight", entry(w3[i], hidden, dim));
        }
        t.put("model.norm.weight", entry(finalNorm, dim));
        if (!shared) t.put("lm_head.weight", entry(cls, vocab, dim));

        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = json.createObjectNode();
        cfg.putArray("architectures").add("LlamaForCausalLM");
        cfg.put("model_type", "llama").put("hidden_size", dim).put("intermediate_size", hidden).put("num_hidden_layers", layers)
                .put("num_attention_heads", heads).put("num_key_value_heads", kvHeads).put("head_dim", hd).put("hidden_act", "silu")
                .put("vocab_size", vocab).put("rms_norm_eps", 1e-5).put("rope_theta", 10000.0).put("max_position_embeddings", seqLen)
                .put("tie_word_embeddings", shared).put("attention_bias", false).put("bos_token_id", 1).put("eos_token_id", 2)
                .put("torch_dtype", "float32");
        ObjectNode gen = json.createObjectNode();
        gen.put("bos_token_id", 1);
        gen.putArray("eos_token_id").add(2).add(1);
        try {
            Files.createDirectories(outDir);
            SafeTensorsWriter.write(outDir.resolve("model.safetensors"), t, Map.of("source", "llama2.c " + checkpoint.getFileName()));
            dev.auris.io.AtomicFiles.writeString(outDir.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
            dev.auris.io.AtomicFiles.writeString(outDir.resolve("generation_config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(gen));
            if (tokenizer != null) dev.auris.io.AtomicFiles.write(outDir.resolve("tokenizer.bin"), Files.readAllBytes(tokenizer));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + outDir + ": " + e.getMessage(), e);
        }
    }

    /** Interleaved pairs (2i, 2i+1) per head → halves (i, i + hd/2): HF's permute(w, n_heads, rows, cols). */
    static float[] permute(float[] w, int heads, int rows, int cols) {
        int hd = rows / heads, half = hd / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    int src = h * hd + 2 * i + j;   // view(heads, half, 2, cols)
                    int dst = h * hd + j * half + i; // transpose(1, 2)
                    System.arraycopy(w, src * cols, out, dst * cols, cols);
                }
            }
        }
        return out;
    }

    private static float[] take(FloatBuffer fb, long n) {
        float[] a = new float[Math.toIntExact(n)];
        fb.get(a);
        return a;
    }

    private static float[][] split(float[] a, int parts) {
        int n = a.length / parts;
        float[][] out = new float[parts][];
        for (int i = 0; i < parts; i++) out[i] = java.util.Arrays.copyOfRange(a, i * n, (i + 1) * n);
        return out;
    }

    private static SafeTensorsWriter.Entry entry(float[] data, long... shape) {
        ByteBuffer bb = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(data);
        return new SafeTensorsWriter.Entry(DType.F32, shape, bb);
    }
}
