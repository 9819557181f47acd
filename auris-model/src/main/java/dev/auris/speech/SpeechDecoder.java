package dev.auris.speech;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.Checkpoint;
import dev.auris.io.CheckpointException;
import dev.auris.io.WeightSource;
import dev.auris.llm.KvCache;
import dev.auris.llm.Llm;
import dev.auris.llm.LlmConfig;
import dev.auris.llm.Rope;
import dev.auris.nn.Attention;
import dev.auris.nn.Linear;
import dev.auris.nn.Norms;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * LLaMA-Omni's non-autoregressive speech decoder, {@code SpeechGeneratorCTC} in
 * {@code omni_speech/model/speech_generator/speech_generator.py}: the LLM's final-normed hidden states of
 * the answer [T, D] are upsampled ×λ by repetition, projected to the decoder width ({@code input_proj}),
 * run through N {@code LlamaDecoderLayer}s at positions 0..λT−1 and mapped to K units + blank
 * ({@code output_proj}; blank = K). There is no final norm in the reference.
 *
 * <p>The layers run as LLaMA-Omni runs them: under {@code flash_attention_2} (set in the generator's config
 * copy) with {@code is_causal=True} — the 2-D mask only unpads — so the attention is causal. That is also
 * what makes its streaming ({@code generation.py}: re-predict, emit the units past those already emitted)
 * prefix-stable, and what lets {@link IncrementalDecoder} feed the states chunk by chunk through a KV cache.
 *
 * <p>{@code try (var d = SpeechDecoder.load(dir, DType.F32)) { long[] units = d.units(hidden); }}
 */
public final class SpeechDecoder implements AutoCloseable {
    /** Tensor names as the released checkpoint holds them (beside the Llama weights). */
    public static final String PREFIX = "speech_generator.";

    private final SpeechDecoderConfig config;
    private final DType dtype;
    private final Linear inputProj;   // [W, D]
    private final List<Llm.Layer> layers;
    private final Linear outputProj;  // [K + 1, W]
    private final Rope rope;
    private final List<Tensor> owned;

    private SpeechDecoder(SpeechDecoderConfig config, DType dtype, Linear inputProj, List<Llm.Layer> layers, Linear outputProj, List<Tensor> owned) {
        this.config = config;
        this.dtype = dtype;
        this.inputProj = inputProj;
        this.layers = List.copyOf(layers);
        this.outputProj = outputProj;
        this.rope = new Rope(config.layers());
        this.owned = owned;
    }

    /** From a LLaMA-Omni Hugging Face directory: config.json + safetensors with {@code speech_generator.*}. */
    public static SpeechDecoder load(Path dir, DType dtype) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new CheckpointException(dir.toString(), null, "no config.json", "point at a LLaMA-Omni model directory");
        SpeechDecoderConfig config = SpeechDecoderConfig.read(cfg);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            return load(config, ckpt, dtype);
        }
    }

    /** Weights by their released names ({@link #PREFIX} + HF names), each checked against the config's shape. */
    public static SpeechDecoder load(SpeechDecoderConfig c, WeightSource src, DType dtype) {
        Torch.init();
        List<Tensor> owned = new ArrayList<>();
        LlmConfig l = c.layers();
        int w = l.hiddenSize(), f = l.intermediateSize();
        boolean bias = l.attentionBias();
        try (PointerScope scope = new PointerScope()) {
            java.util.function.BiFunction<String, long[], Tensor> get = (name, shape) -> {
                Tensor t = Torch.own(src.tensor(PREFIX + name, dtype, shape).contiguous());
                owned.add(t);
                return t;
            };
            Linear in = new Linear(get.apply("input_proj.weight", new long[]{w, c.llmHidden()}), get.apply("input_proj.bias", new long[]{w}));
            List<Llm.Layer> layers = new ArrayList<>();
            for (int i = 0; i < l.numLayers(); i++) {
                String p = "layers." + i + ".", a = p + "self_attn.", m = p + "mlp.";
                layers.add(new Llm.Layer(get.apply(p + "input_layernorm.weight", new long[]{w}),
                        proj(get, a + "q_proj", w, w, bias), proj(get, a + "k_proj", w, w, bias), proj(get, a + "v_proj", w, w, bias),
                        proj(get, a + "o_proj", w, w, bias), null, null, get.apply(p + "post_attention_layernorm.weight", new long[]{w}),
                        proj(get, m + "gate_proj", f, w, false), proj(get, m + "up_proj", f, w, false), proj(get, m + "down_proj", w, f, false)));
            }
            Linear out = new Linear(get.apply("output_proj.weight", new long[]{c.units() + 1, w}), get.apply("output_proj.bias", new long[]{c.units() + 1}));
            return new SpeechDecoder(c, dtype, in, layers, out, owned);
        } catch (RuntimeException e) {
            owned.forEach(Tensor::close);
            throw e;
        }
    }

    private static Linear proj(java.util.function.BiFunction<String, long[], Tensor> get, String name, int out, int in, boolean bias) {
        return new Linear(get.apply(name + ".weight", new long[]{out, in}), bias ? get.apply(name + ".bias", new long[]{out}) : null);
    }

    public SpeechDecoderConfig config() { return config; }

    /** Inference upsampling: each state repeated λ times, [T, D] → [λT, D] (= the reference's uniform assignment when no target is longer). */
    public Tensor upsample(Tensor reps) {
        checkStates(reps);
        return torch.repeat_interleave(reps, config.upsampleFactor(), new org.bytedeco.pytorch.LongOptional(0), new org.bytedeco.pytorch.LongOptional());
    }

    /**
     * Training upsampling ({@code upsample(reps, tgt_units)}): T states spread uniformly over
     * max(λT, targetLength) frames, frame j taking state ⌊j / (frames / T)⌋ in float32 as the reference
     * computes it, so a target longer than λT still has a CTC alignment.
     */
    public Tensor upsample(Tensor reps, int targetLength) {
        checkStates(reps);
        int t = (int) reps.size(0), frames = Math.max(t * config.upsampleFactor(), targetLength);
        return reps.index_select(0, Torch.fromLongs(uniformAssignment(t, frames), frames));
    }

    /** speech_generator.py {@code _uniform_assignment} for one sequence: source index of each of {@code frames} frames. */
    static long[] uniformAssignment(int sources, int frames) {
        float ratio = (float) frames / (float) sources;
        long[] idx = new long[frames];
        for (int j = 0; j < frames; j++) idx[j] = (long) ((float) j / ratio);
        return idx;
    }

    /** Unit logits [λT, K + 1] (float32) of the answer's hidden states [T, D], all at once. */
    public Tensor logits(Tensor reps) {
        return Torch.scoped(() -> frames(upsample(reps).unsqueeze(0), 0, null).squeeze(0));
    }

    /** log_softmax of {@link #logits} in float32 (the reference's {@code ctc_lprobs}). */
    public Tensor logProbs(Tensor reps) {
        return Torch.scoped(() -> torch.log_softmax(logits(reps), -1));
    }

    /** {@code predict}: the argmax label of every frame [λT], blanks included. */
    public long[] predict(Tensor reps) {
        try (PointerScope scope = new PointerScope()) {
            return Torch.toLongs(torch.argmax(logits(reps), new org.bytedeco.pytorch.LongOptional(-1), false));
        }
    }

    /** The answer's units: {@link #predict} collapsed as {@code ctc_postprocess} does (repeats merged, blanks dropped). */
    public long[] units(Tensor reps) {
        return new GreedyCtc(config.blank()).push(predict(reps));
    }

    /**
     * The training loss ({@code forward(tgt_reps, labels, tgt_units)}): each answer's states [T_b, D] spread over
     * max(λT_b, units) frames, the decoder run on each (sequences are independent, as flash-attention's
     * unpadded batches are), then {@link UnitCtc#loss}. Not multiplied by {@code ctc_loss_weight}.
     */
    public Tensor loss(List<Tensor> reps, List<long[]> units) {
        if (reps.size() != units.size()) throw new IllegalArgumentException(reps.size() + " answers but " + units.size() + " unit sequences");
        return Torch.scoped(() -> {
            List<Tensor> logits = new ArrayList<>();
            for (int i = 0; i < reps.size(); i++) logits.add(frames(upsample(reps.get(i), units.get(i).length).unsqueeze(0), 0, null).squeeze(0));
            return UnitCtc.loss(logits, units, config.blank());
        });
    }

    /** A decoder that takes the hidden states as the LLM produces them; its units equal {@link #units} of all of them. */
    public IncrementalDecoder incremental() {
        return new IncrementalDecoder(this);
    }

    /**
     * The decoder on upsampled states x [B, T', D] at positions start..start+T'−1 (causal; earlier positions
     * from {@code cache} when given): logits [B, T', K + 1] in float32.
     */
    Tensor frames(Tensor x, long start, KvCache cache) {
        long b = x.size(0), t = x.size(1);
        LlmConfig l = config.layers();
        Tensor h = inputProj.apply(x.to(Torch.scalarType(dtype)));                  // [B, T', W]
        Tensor[] cs = rope.cosSin(start, (int) t);
        Tensor cos = cs[0].to(Torch.scalarType(dtype)), sin = cs[1].to(Torch.scalarType(dtype));
        Tensor mask = start == 0 ? null : causalMask(start, t);
        for (int i = 0; i < layers.size(); i++) {
            Llm.Layer y = layers.get(i);
            Tensor n = Norms.rms(h, y.inputLayernorm(), l.rmsNormEps());
            int heads = l.numHeads(), hd = l.headDim();
            Tensor q = Rope.apply(y.qProj().apply(n).view(b, t, heads, hd).transpose(1, 2), cos, sin);   // [B, H, T', hd]
            Tensor k = Rope.apply(y.kProj().apply(n).view(b, t, heads, hd).transpose(1, 2), cos, sin);
            Tensor v = y.vProj().apply(n).view(b, t, heads, hd).transpose(1, 2);
            if (cache != null) {
                Tensor[] kv = cache.append(i, start, k, v);                             // [B, H, start + T', hd]
                k = kv[0];
                v = kv[1];
            }
            Tensor o = Attention.attend(q, k, v, mask, true);                             // [B, H, T', hd]
            h = h.add(y.oProj().apply(o.transpose(1, 2).reshape(b, t, (long) heads * hd)));
            Tensor m = Norms.rms(h, y.postAttentionLayernorm(), l.rmsNormEps());
            h = h.add(y.downProj().apply(torch.silu(y.gateProj().apply(m)).mul(y.upProj().apply(m))));
        }
        return outputProj.apply(h).to(torch.ScalarType.Float);                          // [B, T', K + 1]
    }

    /** Queries at start..start+t−1 see keys 0..their own position: boolean [1, 1, t, start + t]. */
    private static Tensor causalMask(long start, long t) {
        Tensor q = torch.arange(Torch.scalar(start), Torch.scalar(start + t), Torch.options(DType.I64)).unsqueeze(1);
        Tensor k = torch.arange(Torch.scalar(0), Torch.scalar(start + t), Torch.options(DType.I64)).unsqueeze(0);
        return k.le(q).unsqueeze(0).unsqueeze(0);
    }

    KvCache newCache() { return new KvCache(layers.size()); }

    void checkStates(Tensor reps) {
        if (reps.dim() != 2 || reps.size(1) != config.llmHidden()) {
            throw new IllegalArgumentException("the speech decoder takes the LLM's hidden states [T, " + config.llmHidden() + "], got "
                    + Arrays.toString(Torch.shape(reps)));
        }
    }

    /** Every weight by its released name (for saving and training). */
    public java.util.Map<String, Tensor> tensors() {
        java.util.Map<String, Tensor> m = new java.util.LinkedHashMap<>();
        m.put(PREFIX + "input_proj.weight", inputProj.weight());
        m.put(PREFIX + "input_proj.bias", inputProj.bias());
        for (int i = 0; i < layers.size(); i++) {
            Llm.Layer y = layers.get(i);
            String p = PREFIX + "layers." + i + ".";
            m.put(p + "input_layernorm.weight", y.inputLayernorm());
            put(m, p + "self_attn.q_proj", y.qProj());
            put(m, p + "self_attn.k_proj", y.kProj());
            put(m, p + "self_attn.v_proj", y.vProj());
            put(m, p + "self_attn.o_proj", y.oProj());
            m.put(p + "post_attention_layernorm.weight", y.postAttentionLayernorm());
            put(m, p + "mlp.gate_proj", y.gateProj());
            put(m, p + "mlp.up_proj", y.upProj());
            put(m, p + "mlp.down_proj", y.downProj());
        }
        m.put(PREFIX + "output_proj.weight", outputProj.weight());
        m.put(PREFIX + "output_proj.bias", outputProj.bias());
        return m;
    }

    private static void put(java.util.Map<String, Tensor> m, String name, Linear l) {
        m.put(name + ".weight", l.weight());
        if (l.bias() != null) m.put(name + ".bias", l.bias());
    }

    @Override
    public void close() {
        owned.forEach(Tensor::close);
    }
}
