package dev.auris.llm;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.*;
import dev.auris.tokenizer.Llama2cTokenizer;
import dev.auris.tokenizer.Tokenizer;
import org.bytedeco.javacpp.PointerScope;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Hugging Face Llama-family directory written as a llama.cpp GGUF file, as {@code convert_hf_to_gguf.py}
 * writes it: llama.cpp's tensor and metadata names, q/k rows of the {@code llama} architecture permuted for
 * its RoPE ({@code LlamaModel.permute}), 1-D tensors F32, matrices in the chosen type (F32, F16, Q8_0 or Q4_0;
 * a matrix whose rows are not whole blocks stays F32), Llama 3.1 RoPE scaling as a {@code rope_freqs.weight} table. A llama2.c {@code tokenizer.bin} travels as a
 * SentencePiece vocabulary ({@code tokenizer.ggml.model = llama}); other tokenizers are not written
 * ({@code none}).
 *
 * <p>{@code auris quantize --model models/stories260K --to q8_0 --out stories260K-q8_0.gguf}
 */
public final class GgufExport {
    private GgufExport() {}

    /** Writes {@code dir} as {@code to} into {@code out}; returns the number of tensors written. */
    public static int write(Path dir, GgmlType to, Path out) {
        if (!List.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0).contains(to)) {
            throw new IllegalArgumentException("Auris writes GGUF as f32, f16, q8_0 or q4_0, not " + to.name().toLowerCase(Locale.ROOT));
        }
        LlmConfig c = LlmConfig.read(dir.resolve("config.json"));
        boolean llama3 = c.ropeScaling() != null && c.ropeScaling().type().equals("llama3");
        String arch = switch (c.family()) {
            case LLAMA, MISTRAL -> "llama";
            case QWEN2 -> "qwen2";
            case QWEN3 -> "qwen3";
        };
        GgufWriter w = new GgufWriter()
                .string("general.architecture", arch).string("general.name", String.valueOf(dir.getFileName()))
                .u32("general.file_type", switch (to) { case F32 -> 0; case F16 -> 1; case Q4_0 -> 2; default -> 7; })
                .u32("general.quantization_version", 2)
                .u32(arch + ".context_length", c.maxPositionEmbeddings()).u32(arch + ".embedding_length", c.hiddenSize())
                .u32(arch + ".block_count", c.numLayers()).u32(arch + ".feed_forward_length", c.intermediateSize())
                .u32(arch + ".attention.head_count", c.numHeads()).u32(arch + ".attention.head_count_kv", c.numKvHeads())
                .f32(arch + ".rope.freq_base", c.ropeTheta()).f32(arch + ".attention.layer_norm_rms_epsilon", c.rmsNormEps())
                .u32(arch + ".rope.dimension_count", c.headDim()).u32(arch + ".vocab_size", c.vocabSize());
        if (c.headDim() * c.numHeads() != c.hiddenSize()) w.u32(arch + ".attention.key_length", c.headDim()).u32(arch + ".attention.value_length", c.headDim());
        if (c.ropeScaling() != null && c.ropeScaling().type().equals("linear")) {
            w.string(arch + ".rope.scaling.type", "linear").f32(arch + ".rope.scaling.factor", c.ropeScaling().factor());
        }
        vocabulary(w, dir, c);
        int n = 0;
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            for (String hf : order(c, ckpt)) {
                String name = GgufNames.toGguf(hf).orElseThrow(() -> new CheckpointException(dir.toString(), hf, "has no llama.cpp name", "Auris writes Llama-family decoders only"));
                long[] shape = ckpt.info(hf).shape();
                float[] x;
                try (PointerScope scope = new PointerScope()) {
                    x = Torch.toFloats(ckpt.tensor(hf, DType.F32, shape).contiguous());
                }
                if (GgufNames.isRopePermuted(arch, hf)) {
                    x = GgufWeights.permute(x, hf.contains("k_proj") ? c.numKvHeads() : c.numHeads(), (int) shape[0], x.length / (int) shape[0]);
                }
                GgmlType type = shape.length >= 2 && shape[shape.length - 1] % to.blockSize == 0 ? to : GgmlType.F32;
                w.tensor(name, type, GgmlQuant.quantize(type, x), shape);
                n++;
            }
        }
        if (llama3) {
            float[] ff = ropeFactors(c);
            w.tensor("rope_freqs.weight", GgmlType.F32, GgmlQuant.quantize(GgmlType.F32, ff), ff.length);
            n++;
        }
        w.write(out);
        return n;
    }

    /**
     * Llama 3.1's RoPE scaling as llama.cpp reads it: a divisor per frequency (convert_hf_to_gguf.py
     * {@code LlamaModel.generate_extra_tensors}); {@link GgufConfig#llama3} reads it back.
     */
    static float[] ropeFactors(LlmConfig c) {
        LlmConfig.RopeScaling s = c.ropeScaling();
        int half = c.headDim() / 2;
        float[] ff = new float[half];
        double low = s.originalMaxPositions() / s.lowFreqFactor(), high = s.originalMaxPositions() / s.highFreqFactor();
        for (int i = 0; i < half; i++) {
            double wavelen = 2 * Math.PI * Math.pow(c.ropeTheta(), (2.0 * i) / c.headDim());
            double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
            ff[i] = (float) (wavelen < high ? 1 : wavelen > low ? s.factor() : 1 / ((1 - smooth) / s.factor() + smooth));
        }
        return ff;
    }

    /** llama.cpp's order: token_embd, each block, output_norm, output. */
    private static List<String> order(LlmConfig c, Checkpoint ckpt) {
        List<String> names = new ArrayList<>(List.of("model.embed_tokens.weight"));
        String[] modules = {"input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "self_attn.q_norm",
                "self_attn.k_norm", "post_attention_layernorm", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};
        for (int i = 0; i < c.numLayers(); i++) {
            for (String m : modules) {
                for (String kind : List.of(".weight", ".bias")) {
                    String n = "model.layers." + i + "." + m + kind;
                    if (ckpt.contains(n)) names.add(n);
                }
            }
        }
        names.add("model.norm.weight");
        if (!c.tieWordEmbeddings() && ckpt.contains("lm_head.weight")) names.add("lm_head.weight");
        return names;
    }

    private static void vocabulary(GgufWriter w, Path dir, LlmConfig c) {
        if (!Files.isRegularFile(dir.resolve("tokenizer.bin"))) {
            w.string("tokenizer.ggml.model", "none");
            return;
        }
        Llama2cTokenizer t = Llama2cTokenizer.load(dir.resolve("tokenizer.bin"), c.vocabSize());
        List<String> pieces = new ArrayList<>();
        int[] types = new int[t.vocabSize()];
        for (int i = 0; i < t.vocabSize(); i++) {
            String p = t.pieces().get(i);
            pieces.add(p.replace(' ', '\u2581'));
            // llama.cpp token types: 1 normal, 2 unknown, 3 control, 6 byte
            types[i] = i == 0 ? 2 : i == Llama2cTokenizer.BOS || i == Llama2cTokenizer.EOS ? 3 : p.matches("<0x[0-9A-F]{2}>") ? 6 : 1;
        }
        Tokenizer tok = t;
        w.string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", pieces).f32s("tokenizer.ggml.scores", t.scores())
                .i32s("tokenizer.ggml.token_type", types).u32("tokenizer.ggml.bos_token_id", tok.bosId().orElse(1))
                .u32("tokenizer.ggml.eos_token_id", tok.eosId().orElse(2)).u32("tokenizer.ggml.unknown_token_id", 0);
    }
}
