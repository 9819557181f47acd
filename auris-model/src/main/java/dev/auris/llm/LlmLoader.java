package dev.auris.llm;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.Checkpoint;
import dev.auris.io.CheckpointException;
import dev.auris.io.Gguf;
import dev.auris.io.GgufWeights;
import dev.auris.io.WeightSource;
import dev.auris.nn.Linear;
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
        if (Gguf.isGguf(dir)) {
            try (Gguf g = Gguf.open(dir)) {
                return load(GgufConfig.read(g), new GgufWeights(g), dtype);
            }
        }
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            throw new CheckpointException(dir.toString(), null, "no config.json", "point at a Hugging Face model directory (or convert a llama2.c checkpoint with `auris convert`)");
        }
        LlmConfig config = LlmConfig.read(cfg);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            return load(config, ckpt, dtype);
        }
    }

    /** Weights from any source (a checkpoint, or {@link WeightSource#random} for benchmarks). */
    static Llm load(LlmConfig c, WeightSource ckpt, DType dtype) {
        Torch.init();
        if (ckpt instanceof Checkpoint cp) checkLayerCount(c, cp);
        List<Tensor> owned = new ArrayList<>();
        Loader w = (name, shape) -> {
            Tensor t = Torch.own(ckpt.tensor(name, dtype, shape));
            owned.add(t);
            return t;
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
                        new Linear(w.get(a + "q_proj.weight", q, d), c.attentionBias() ? w.get(a + "q_proj.bias", q) : null),
                        new Linear(w.get(a + "k_proj.weight", kv, d), c.attentionBias() ? w.get(a + "k_proj.bias", kv) : null),
                        new Linear(w.get(a + "v_proj.weight", kv, d), c.attentionBias() ? w.get(a + "v_proj.bias", kv) : null),
                        new Linear(w.get(a + "o_proj.weight", d, q), null),
                        c.family().qkNorm() ? w.get(a + "q_norm.weight", hd) : null,
                        c.family().qkNorm() ? w.get(a + "k_norm.weight", hd) : null,
                        w.get(p + "post_attention_layernorm.weight", d),
                        new Linear(w.get(p + "mlp.gate_proj.weight", f, d), null),
                        new Linear(w.get(p + "mlp.up_proj.weight", f, d), null),
                        new Linear(w.get(p + "mlp.down_proj.weight", d, f), null)));
            }
            Tensor norm = w.get("model.norm.weight", d);
            Linear head;
            if (c.tieWordEmbeddings()) {
                head = new Linear(embed, null);
            } else {
                if (!ckpt.contains("lm_head.weight")) {
                    throw new CheckpointException(ckpt instanceof Checkpoint cp ? cp.dir().toString() : "weights", "lm_head.weight", "missing while config.json says tie_word_embeddings=false",
                            "set \"tie_word_embeddings\": true in config.json if the model shares its embedding matrix with the LM head");
                }
                head = new Linear(w.get("lm_head.weight", c.vocabSize(), d), null);
            }
            return new Llm(c, dtype, embed, layers, norm, head, owned);
        } catch (RuntimeException e) {
            owned.forEach(Tensor::close);
            throw e;
        }
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
