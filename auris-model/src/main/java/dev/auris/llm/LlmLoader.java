package dev.auris.llm;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.Checkpoint;
import dev.auris.io.CheckpointException;
import dev.auris.io.Gguf;
import dev.auris.io.GgufWeights;
import dev.auris.io.WeightSource;
import dev.auris.core.Cpu;
import dev.auris.core.Precision;
import dev.auris.core.WeightFormat;
import dev.auris.nn.Linear;
import dev.auris.nn.Weights;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Builds an {@link Llm} from a Hugging Face directory or any weight source, by the checkpoint's own tensor names. */
final class LlmLoader {
    private static final Pattern LAYER_NAME = Pattern.compile("model\\.layers\\.(\\d+)\\..*");

    private LlmLoader() {}

    /** Loads {@code config.json} + safetensors from {@code dir} (or a llama.cpp {@code .gguf} file), weights converted to {@code dtype}. */
    static Llm load(Path dir, DType dtype) {
        return load(dir, Precision.of(dtype));
    }

    /** As {@link #load(Path, DType)}, in the dtype and weight format {@code precision} picks for this model on this CPU. */
    static Llm load(Path dir, Precision precision) {
        if (Gguf.isGguf(dir)) {
            try (Gguf g = Gguf.open(dir)) {
                LlmConfig c = GgufConfig.read(g);
                GgufWeights w = new GgufWeights(g);
                return load(c, w, precision.llm(parameters(c), w.isInt8Blocks("model.layers.0.mlp.down_proj.weight")));
            }
        }
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            throw new CheckpointException(dir.toString(), null, "no config.json", "point at a Hugging Face model directory (or convert a llama2.c checkpoint with `auris convert`)");
        }
        LlmConfig config = LlmConfig.read(cfg);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            return load(config, ckpt, precision.llm(parameters(config), false));
        }
    }

    /** Parameters of a model of config {@code c} (embeddings, layers, an untied head). */
    static long parameters(LlmConfig c) {
        long d = c.hiddenSize(), q = (long) c.numHeads() * c.headDim(), kv = (long) c.numKvHeads() * c.headDim(), f = c.intermediateSize();
        long layer = d * (q + 2 * kv) + q * d + 3 * d * f;
        return c.vocabSize() * d * (c.tieWordEmbeddings() ? 1 : 2) + c.numLayers() * layer;
    }

    /** Weights from any source (a checkpoint, or {@link WeightSource#random} for benchmarks), dense. */
    static Llm load(LlmConfig c, WeightSource ckpt, DType dtype) {
        return load(c, ckpt, new Precision.Llm(dtype, WeightFormat.DENSE));
    }

    /** Weights from any source in {@code p}'s dtype, the linear layers in its weight format. */
    static Llm load(LlmConfig c, WeightSource ckpt, Precision.Llm prec) {
        Torch.init();
        DType dtype = prec.dtype();
        if (ckpt instanceof Checkpoint cp) checkLayerCount(c, cp);
        List<Tensor> owned = new ArrayList<>();
        Loader w = (name, shape) -> {
            Tensor t = Torch.own(ckpt.tensor(name, dtype, shape));
            owned.add(t);
            return t;
        };
        LinearLoader lin = (name, out, in, bias) -> {
            Tensor b = bias == null ? null : w.get(bias, out);
            if (prec.weights() == WeightFormat.DENSE) return new Linear(w.get(name, out, in), b);
            Weights weights;
            try (PointerScope one = new PointerScope()) {            // the float32 copy and the quantizer's temporaries go here and now
                weights = packed(ckpt, name, out, in, prec.weights());
                for (Tensor t : weights.tensors()) owned.add(Torch.own(t));
            }
            return new Linear(weights, b, null);
        };
        int d = c.hiddenSize(), hd = c.headDim(), q = c.numHeads() * hd, kv = c.numKvHeads() * hd, f = c.intermediateSize();
        try (PointerScope scope = new PointerScope()) {
            Tensor embed = w.get("model.embed_tokens.weight", c.vocabSize(), d);
            List<Llm.Layer> layers = new ArrayList<>();
            for (int i = 0; i < c.numLayers(); i++) {
                String p = "model.layers." + i + ".";
                String a = p + "self_attn.";
                layers.add(new Llm.Layer(
                        w.get(p + "input_layernorm.weight", d),
                        lin.get(a + "q_proj.weight", q, d, c.attentionBias() ? a + "q_proj.bias" : null),
                        lin.get(a + "k_proj.weight", kv, d, c.attentionBias() ? a + "k_proj.bias" : null),
                        lin.get(a + "v_proj.weight", kv, d, c.attentionBias() ? a + "v_proj.bias" : null),
                        lin.get(a + "o_proj.weight", d, q, null),
                        c.family().qkNorm() ? w.get(a + "q_norm.weight", hd) : null,
                        c.family().qkNorm() ? w.get(a + "k_norm.weight", hd) : null,
                        w.get(p + "post_attention_layernorm.weight", d),
                        lin.get(p + "mlp.gate_proj.weight", f, d, null),
                        lin.get(p + "mlp.up_proj.weight", f, d, null),
                        lin.get(p + "mlp.down_proj.weight", d, f, null)));
            }
            Tensor norm = w.get("model.norm.weight", d);
            Linear head;
            if (c.tieWordEmbeddings()) {
                head = prec.weights() == WeightFormat.DENSE ? new Linear(embed, null) : lin.get("model.embed_tokens.weight", c.vocabSize(), d, null);
            } else {
                if (!ckpt.contains("lm_head.weight")) {
                    throw new CheckpointException(ckpt instanceof Checkpoint cp ? cp.dir().toString() : "weights", "lm_head.weight", "missing while config.json says tie_word_embeddings=false",
                            "set \"tie_word_embeddings\": true in config.json if the model shares its embedding matrix with the LM head");
                }
                head = lin.get("lm_head.weight", c.vocabSize(), d, null);
            }
            return new Llm(c, dtype, embed, layers, norm, head, owned);
        } catch (RuntimeException e) {
            owned.forEach(Tensor::close);
            throw e;
        }
    }

    /**
     * The linear weight {@code name} [out, in] in {@code format}: GGUF Q8_0 blocks load as they are (INT8), Q4_0 blocks
     * as int4 (INT8 or INT4 asked; as int8 where the native kernels are missing); anything else is read as float32 and
     * quantized (per 32 weights, or per row when in is no multiple of 32) or packed.
     */
    private static Weights packed(WeightSource src, String name, long out, long in, WeightFormat format) {
        ScalarType gemm = Cpu.current().avx512Bf16() || Cpu.current().amx() ? ScalarType.BFloat16 : ScalarType.Float;
        boolean int4 = dev.auris.nn.NativeKernels.available() && in % 32 == 0;
        if (format == WeightFormat.INT4 && !int4) format = WeightFormat.INT8;               // no kernel for it here: int8 holds every int4 value
        if ((format == WeightFormat.INT8 || format == WeightFormat.INT4) && src instanceof GgufWeights g && g.isInt8Blocks(name) && in % 32 == 0) {
            GgufWeights.Int8Blocks b = g.int8Blocks(name, out, in);
            if (int4 && g.isQ4Blocks(name)) return Weights.Int4.pack(b.q(), b.scales(), out, in, gemm);
            Tensor q = Torch.fromBytes(java.nio.ByteBuffer.wrap(b.q()), DType.I8, out, in);
            return new Weights.Int8(q, Torch.fromFloats(b.scales(), out, in / 32), 32, gemm);
        }
        Tensor w = src.tensor(name, DType.F32, out, in);
        return switch (format) {
            case FP16 -> Weights.Fp16.pack(w);
            case INT8 -> Weights.Int8.quantize(w, in % 32 == 0 ? 32 : (int) in, gemm);
            case INT4 -> Weights.Int4.quantize(w, gemm);
            case INT8_DYNAMIC -> Weights.Fbgemm8.quantize(w);
            case DENSE -> new Weights.Dense(w);
        };
    }

    private interface LinearLoader {
        Linear get(String name, long out, long in, String bias);
    }

    private interface Loader {
        Tensor get(String name, long... shape);
    }

    private static void checkLayerCount(LlmConfig c, Checkpoint ckpt) {
        int max = -1;
        for (String n : ckpt.names()) {
            Matcher m = LAYER_NAME.matcher(n);
            if (m.matches()) max = Math.max(max, Integer.parseInt(m.group(1)));
        }
        if (max + 1 != c.numLayers()) {
            throw new CheckpointException(ckpt.dir().toString(), null, "config.json says num_hidden_layers=" + c.numLayers()
                    + " but the weights have " + (max + 1) + " layers", "use the config.json that came with these weights");
        }
    }
}
