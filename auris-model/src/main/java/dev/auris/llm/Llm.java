package dev.auris.llm;

import dev.auris.nn.Attention;
import dev.auris.nn.Lora;
import dev.auris.nn.Linear;
import dev.auris.core.Torch;
import dev.auris.io.Checkpoint;
import dev.auris.io.CheckpointException;
import dev.auris.core.DType;
import dev.auris.io.WeightSource;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.*;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Llama-family decoder (Llama 2/3/3.1/3.2, Mistral, Qwen2/2.5, Qwen3) from a Hugging Face directory.
 * Immutable and shareable across threads; per-sequence state (the KV cache) lives in a {@link Session}.
 * The forward pass takes input embeddings, so a speech LLM can splice audio embeddings between text
 * token embeddings.
 *
 * <p>{@code try (Llm llm = Llm.load(dir, DType.BF16); Session s = llm.newSession()) { Tensor logits = s.prefill(ids); }}
 *
 * <p>Shapes: B batch, T new positions, S all positions (cache + new), D hidden, H heads, KV key/value
 * heads, hd head_dim, F ffn width, V vocabulary.
 */
public final class Llm implements AutoCloseable {
    /** One decoder block's weights, by their HF names. */
    public record Layer(Tensor inputLayernorm, Linear qProj, Linear kProj, Linear vProj, Linear oProj,
                        Tensor qNorm, Tensor kNorm, Tensor postAttentionLayernorm,
                        Linear gateProj, Linear upProj, Linear downProj) {}


    private final LlmConfig config;
    private final DType dtype;
    private final Tensor embedTokens; // [V, D]
    private final List<Layer> layers;
    private final Tensor norm;        // [D]
    private final Linear lmHead;      // [V, D] (the embedding matrix when tied)
    private final Rope rope;
    private final List<Tensor> owned;
    private final FusedDecode fused;   // a decode step outside libtorch, where the weights allow (null: not)

    Llm(LlmConfig config, DType dtype, Tensor embedTokens, List<Layer> layers, Tensor norm, Linear lmHead, List<Tensor> owned) {
        this.config = config;
        this.dtype = dtype;
        this.embedTokens = embedTokens;
        this.layers = List.copyOf(layers);
        this.norm = norm;
        this.lmHead = lmHead;
        this.rope = new Rope(config);
        this.owned = owned;
        this.fused = FusedDecode.plan(config, dtype, rope, this.layers);
    }

    /** Loads {@code config.json} + safetensors from {@code dir}, or a llama.cpp {@code .gguf} file (dequantized), weights converted to {@code dtype} ({@link LlmLoader}). */
    public static Llm load(Path dir, DType dtype) {
        return LlmLoader.load(dir, dtype);
    }

    /** As {@link #load(Path, DType)}, in the dtype and weight format {@code precision} picks for this model on this CPU. */
    public static Llm load(Path dir, dev.auris.core.Precision precision) {
        return LlmLoader.load(dir, precision);
    }

    /** Weights from any source in a dtype and weight format ({@link LlmLoader}). */
    public static Llm load(LlmConfig c, WeightSource ckpt, dev.auris.core.Precision.Llm precision) {
        return LlmLoader.load(c, ckpt, precision);
    }

    /** Parameters of a model of this config (embeddings, layers, an untied head). */
    public static long parameters(LlmConfig c) { return LlmLoader.parameters(c); }

    /** Bytes of weights one decode step streams: every linear layer's, the LM head's included. */
    public long weightBytesPerToken() {
        long n = lmHead.weights().bytes();
        for (Layer l : layers) {
            for (Linear x : List.of(l.qProj(), l.kProj(), l.vProj(), l.oProj(), l.gateProj(), l.upProj(), l.downProj())) n += x.weights().bytes();
        }
        return n;
    }

    /** What the linear layers run: "bf16", "int8 (fbgemm, per row)", ... */
    public String weightsDescription() {
        return weightFormat() + (fused != null ? ", decode step fused (native)" : "");
    }

    private String weightFormat() {
        return switch (layers.isEmpty() ? lmHead.weights() : layers.get(0).qProj().weights()) {
            case dev.auris.nn.Weights.Dense d -> Torch.dtype(d.w().scalar_type()).name().toLowerCase(java.util.Locale.ROOT)
                    + (d.w().scalar_type().intern() == torch.ScalarType.BFloat16 && dev.auris.nn.NativeKernels.available()
                    ? " (decode: " + dev.auris.nn.NativeKernels.describe() + ")" : "");
            case dev.auris.nn.Weights.Int8 q -> (q.group() == 32 ? "int8 in 32-blocks" : "int8 per row")
                    + (dev.auris.nn.NativeKernels.available() ? " (decode: " + dev.auris.nn.NativeKernels.describeQuantized(q.inFeatures()) + ")" : " (Vector API)")
                    + " × " + dtype.name().toLowerCase(java.util.Locale.ROOT);
            case dev.auris.nn.Weights.Int4 q -> "int4 in 32-blocks (decode: " + dev.auris.nn.NativeKernels.describeQuantized(q.inFeatures()) + ") × " + dtype.name().toLowerCase(java.util.Locale.ROOT);
            case dev.auris.nn.Weights.Fbgemm8 q -> "int8 weights and activations (fbgemm) × " + dtype.name().toLowerCase(java.util.Locale.ROOT);
            case dev.auris.nn.Weights.Fp16 h -> "fp16 packed (fbgemm) × " + dtype.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** Weights from any source: a checkpoint, or {@link WeightSource#random} for benchmarks ({@link LlmLoader}). */
    public static Llm load(LlmConfig c, WeightSource ckpt, DType dtype) {
        return LlmLoader.load(c, ckpt, dtype);
    }

    public LlmConfig config() { return config; }

    public DType dtype() { return dtype; }

    public Rope rope() { return rope; }

    public List<Layer> layers() { return layers; }

    public Tensor embedTokens() { return embedTokens; }

    public Linear lmHead() { return lmHead; }

    public Tensor finalNorm() { return norm; }

    public Session newSession() { return new Session(this); }

    /** Whether a decode step (one sequence, or a beam's rows at one position) runs fused, outside libtorch ({@link FusedDecode}). */
    public boolean fusesDecode() { return fused != null; }

    /** An empty KV cache for {@link #forward} over a batch of sequences decoded in lock-step (one conversation: {@link #newSession}). */
    public KvCache newCache() { return new KvCache(config.numLayers()); }

    /**
     * A view of this model with LoRA adapters on the {@code spec.targets()} layers, read from
     * {@code adapters} (a saved file, or {@link LoraSpec#init} for new ones). The view shares the base
     * weights: closing it frees only the adapters; the base model stays usable (adapter off).
     */
    public Llm withLora(LoraSpec spec, WeightSource adapters, DType adapterDtype) {
        List<Tensor> own = new ArrayList<>();
        java.util.function.BiFunction<String, Linear, Linear> attach = (name, lin) -> {
            String module = name.substring(name.lastIndexOf('.') + 1);
            if (!spec.targets().contains(module)) return lin;
            Tensor a = Torch.own(adapters.tensor(name + ".lora_A.weight", adapterDtype, spec.rank(), lin.inFeatures()).contiguous());
            Tensor b = Torch.own(adapters.tensor(name + ".lora_B.weight", adapterDtype, lin.outFeatures(), spec.rank()).contiguous());
            own.add(a);
            own.add(b);
            return lin.withLora(new Lora(a, b, spec.scale(), spec.dropout()));
        };
        List<Layer> out = new ArrayList<>();
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < layers.size(); i++) {
                Layer l = layers.get(i);
                String a = "model.layers." + i + ".self_attn.", m = "model.layers." + i + ".mlp.";
                out.add(new Layer(l.inputLayernorm(), attach.apply(a + "q_proj", l.qProj()), attach.apply(a + "k_proj", l.kProj()),
                        attach.apply(a + "v_proj", l.vProj()), attach.apply(a + "o_proj", l.oProj()), l.qNorm(), l.kNorm(),
                        l.postAttentionLayernorm(), attach.apply(m + "gate_proj", l.gateProj()), attach.apply(m + "up_proj", l.upProj()),
                        attach.apply(m + "down_proj", l.downProj())));
            }
        } catch (RuntimeException e) {
            own.forEach(Tensor::close);
            throw e;
        }
        return new Llm(config, dtype, embedTokens, out, norm, lmHead, own);
    }

    /** The adapter tensors of a LoRA view by PEFT name (empty for a plain model). */
    public java.util.Map<String, Tensor> loraTensors() {
        java.util.Map<String, Tensor> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String a = "model.layers." + i + ".self_attn.", f = "model.layers." + i + ".mlp.";
            put(m, a + "q_proj", l.qProj());
            put(m, a + "k_proj", l.kProj());
            put(m, a + "v_proj", l.vProj());
            put(m, a + "o_proj", l.oProj());
            put(m, f + "gate_proj", l.gateProj());
            put(m, f + "up_proj", l.upProj());
            put(m, f + "down_proj", l.downProj());
        }
        return m;
    }

    private static void put(java.util.Map<String, Tensor> m, String name, Linear l) {
        if (l.lora() != null) {
            m.put(name + ".lora_A.weight", l.lora().a());
            m.put(name + ".lora_B.weight", l.lora().b());
        }
    }

    /** A LoRA view with every adapter folded into new weight tensors (W + scale·BA): plain-speed inference. */
    public Llm merged() {
        List<Tensor> own = new ArrayList<>();
        List<Layer> out = new ArrayList<>();
        java.util.function.Function<Linear, Linear> merge = lin -> {
            if (lin.lora() == null) return lin;
            Linear m = lin.merged();
            own.add(Torch.own(m.weight()));
            return m;
        };
        try (PointerScope scope = new PointerScope(); var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            for (Layer l : layers) {
                out.add(new Layer(l.inputLayernorm(), merge.apply(l.qProj()), merge.apply(l.kProj()), merge.apply(l.vProj()), merge.apply(l.oProj()),
                        l.qNorm(), l.kNorm(), l.postAttentionLayernorm(), merge.apply(l.gateProj()), merge.apply(l.upProj()), merge.apply(l.downProj())));
            }
        }
        return new Llm(config, dtype, embedTokens, out, norm, lmHead, own);
    }

    /** Every base weight by HF name (for full fine-tuning and freezing checks). */
    public java.util.Map<String, Tensor> baseTensors() {
        java.util.Map<String, Tensor> m = new java.util.LinkedHashMap<>();
        m.put("model.embed_tokens.weight", embedTokens);
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String p = "model.layers." + i + ".";
            m.put(p + "input_layernorm.weight", l.inputLayernorm());
            m.put(p + "self_attn.q_proj.weight", l.qProj().weight());
            if (l.qProj().bias() != null) m.put(p + "self_attn.q_proj.bias", l.qProj().bias());
            m.put(p + "self_attn.k_proj.weight", l.kProj().weight());
            if (l.kProj().bias() != null) m.put(p + "self_attn.k_proj.bias", l.kProj().bias());
            m.put(p + "self_attn.v_proj.weight", l.vProj().weight());
            if (l.vProj().bias() != null) m.put(p + "self_attn.v_proj.bias", l.vProj().bias());
            m.put(p + "self_attn.o_proj.weight", l.oProj().weight());
            if (l.qNorm() != null) {
                m.put(p + "self_attn.q_norm.weight", l.qNorm());
                m.put(p + "self_attn.k_norm.weight", l.kNorm());
            }
            m.put(p + "post_attention_layernorm.weight", l.postAttentionLayernorm());
            m.put(p + "mlp.gate_proj.weight", l.gateProj().weight());
            m.put(p + "mlp.up_proj.weight", l.upProj().weight());
            m.put(p + "mlp.down_proj.weight", l.downProj().weight());
        }
        m.put("model.norm.weight", norm);
        if (lmHead.weight() != embedTokens) m.put("lm_head.weight", lmHead.weight());
        return m;
    }

    /** Token embeddings: ids [B, T] (int64) → [B, T, D]. */
    public Tensor embed(Tensor ids) {
        return torch.embedding(embedTokens, ids);
    }

    /** LM head: hidden [..., D] → logits [..., V] as float32. */
    public Tensor logits(Tensor hidden) {
        return lmHead.apply(hidden).to(torch.ScalarType.Float);
    }

    /**
     * The decoder stack on input embeddings x [B, T, D] at positions start..start+T-1.
     *
     * @param cache      keys/values of earlier positions, appended to; null for a stateless pass
     * @param keyPadding [B, S] boolean, true where a key is a real (not padding) position; may be null
     * @param collect    receives the residual stream: [0] = x, [i+1] = after layer i; may be null
     * @return the final-normed hidden states [B, T, D] (the LM head's input)
     */
    public Tensor forward(Tensor x, long start, KvCache cache, Tensor keyPadding, List<Tensor> collect) {
        long b = x.size(0), t = x.size(1);
        if (x.dim() != 3 || x.size(2) != config.hiddenSize()) {
            throw new IllegalArgumentException("LLM input must be [B, T, " + config.hiddenSize() + "], got " + java.util.Arrays.toString(Torch.shape(x)));
        }
        if (fused != null && t == 1 && b <= dev.auris.nn.NativeKernels.MAX_ROWS && cache != null && keyPadding == null && collect == null
                && (cache.rows() == 0 || cache.rows() == b) && !x.requires_grad() && fused.frozen()) {
            return rmsNorm(fused.forward(x, start, cache, Torch.scalarType(dtype)), norm);   // a decode step of one sequence or a beam: native calls only
        }
        Tensor h = x.to(Torch.scalarType(dtype));
        if (collect != null) collect.add(h);
        Tensor[] cs = rope.cosSin(start, (int) t);
        Tensor cos = cs[0].to(Torch.scalarType(dtype)), sin = cs[1].to(Torch.scalarType(dtype));
        long s = start + t;
        // one new position sees every key there is: no mask to build and apply (decode's step)
        Tensor mask = t == 1 && keyPadding == null ? null : attentionMask(start, t, s, keyPadding, cache == null && start != 0);
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            h = h.add(attention(i, l, rmsNorm(h, l.inputLayernorm()), b, t, start, cos, sin, cache, mask));
            Tensor m = rmsNorm(h, l.postAttentionLayernorm());
            h = h.add(l.downProj().apply(torch.silu(l.gateProj().apply(m)).mul(l.upProj().apply(m))));
            if (collect != null) collect.add(h);
        }
        return rmsNorm(h, norm);
    }

    /** null means plain causal (no past keys, no padding); else a boolean [B or 1, 1, T, S] mask. */
    private static Tensor attentionMask(long start, long t, long s, Tensor keyPadding, boolean noCacheWithOffset) {
        if (start == 0 && keyPadding == null) return null;
        // query i (absolute position start+i) sees keys j <= start+i
        Tensor qpos = torch.arange(Torch.scalar(start), Torch.scalar(start + t), new TensorOptions(torch.ScalarType.Long)).unsqueeze(1);
        Tensor kpos = torch.arange(Torch.scalar(0), Torch.scalar(s), new TensorOptions(torch.ScalarType.Long)).unsqueeze(0);
        Tensor causal = kpos.le(qpos).unsqueeze(0).unsqueeze(0); // [1, 1, T, S]
        if (keyPadding == null) return causal;
        return causal.logical_and(keyPadding.to(torch.ScalarType.Bool).unsqueeze(1).unsqueeze(1)); // [B, 1, T, S]
    }

    private Tensor attention(int index, Layer l, Tensor x, long b, long t, long start, Tensor cos, Tensor sin, KvCache cache, Tensor mask) {
        int h = config.numHeads(), kvh = config.numKvHeads(), hd = config.headDim();
        Tensor q = l.qProj().apply(x).view(b, t, h, hd);        // [B, T, H, hd]
        Tensor k = l.kProj().apply(x).view(b, t, kvh, hd);      // [B, T, KV, hd]
        Tensor v = l.vProj().apply(x).view(b, t, kvh, hd).transpose(1, 2); // [B, KV, T, hd]
        if (l.qNorm() != null) { // Qwen3: RMSNorm over each head before RoPE
            q = rmsNorm(q, l.qNorm());
            k = rmsNorm(k, l.kNorm());
        }
        q = Rope.apply(q.transpose(1, 2), cos, sin);            // [B, H, T, hd]
        k = Rope.apply(k.transpose(1, 2), cos, sin);            // [B, KV, T, hd]
        if (cache != null) {
            Tensor[] kv = cache.append(index, start, k, v);     // [B, KV, S, hd]
            if (start > 0) {                                    // from position 0 the cache holds just k and v (maybe cast up): attend over them as they are
                k = kv[0];
                v = kv[1];
            }
        }
        Tensor o = Attention.attend(q, k, v, mask, t > 1);     // [B, H, T, hd]
        return l.oProj().apply(o.transpose(1, 2).reshape(b, t, (long) h * hd)); // [B, T, D]
    }

    /** HF LlamaRMSNorm with this model's ε. */
    Tensor rmsNorm(Tensor x, Tensor weight) {
        return dev.auris.nn.Norms.rms(x, weight, config.rmsNormEps());
    }

    @Override
    public void close() {
        if (fused != null) fused.close();
        owned.forEach(Tensor::close);
    }
}
