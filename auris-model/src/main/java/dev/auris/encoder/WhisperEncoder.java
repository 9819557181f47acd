package dev.auris.encoder;

import dev.auris.core.Torch;
import dev.auris.io.Checkpoint;
import dev.auris.io.CheckpointException;
import dev.auris.core.DType;
import dev.auris.io.WeightSource;
import dev.auris.nn.Linear;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.*;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Whisper encoder (HF {@code WhisperModel} / {@code WhisperForConditionalGeneration}, encoder part,
 * any size, 80 or 128 mels): conv1 (k3, p1) + GELU, conv2 (k3, s2, p1) + GELU, positional table, pre-LN
 * transformer layers, final LayerNorm. Immutable and thread-safe.
 *
 * <p>Input length. Whisper itself always pads to 30 s (3000 frames → 1500 positions). This encoder
 * accepts any length up to 30 s and slices the positional table to the true length; callers choose:
 * {@link dev.auris.features.LogMel#computeWindow30s} gives Whisper's behaviour, which is what LLaMA-Omni uses ({@code whisper.pad_or_trim}
 * before the mel, then its wrapped encoder slices positions to the — padded — length), while feeding the
 * true length is faster and what Auris's own small models are trained with.
 *
 * <p>Shapes: B batch, M mel bins, F mel frames, T = F/2 encoder positions, D d_model.
 */
public final class WhisperEncoder implements AutoCloseable {
    /** One encoder layer's weights, by their HF names. */
    public record Layer(Tensor selfAttnLayerNormW, Tensor selfAttnLayerNormB, Linear qProj, Linear kProj, Linear vProj, Linear outProj,
                        Tensor finalLayerNormW, Tensor finalLayerNormB, Linear fc1, Linear fc2) {}

    /** Encoder output: the final (layer-normed) states and, when asked, the residual stream per layer. */
    public record Output(Tensor lastHidden, List<Tensor> layers) {}

    private final WhisperConfig config;
    private final DType dtype;
    private final Tensor conv1W, conv1B, conv2W, conv2B, positions, lnW, lnB;
    private final List<Layer> layers;
    private final List<Tensor> owned;

    private WhisperEncoder(WhisperConfig config, DType dtype, Tensor conv1W, Tensor conv1B, Tensor conv2W, Tensor conv2B,
                           Tensor positions, List<Layer> layers, Tensor lnW, Tensor lnB, List<Tensor> owned) {
        this.config = config;
        this.dtype = dtype;
        this.conv1W = conv1W;
        this.conv1B = conv1B;
        this.conv2W = conv2W;
        this.conv2B = conv2B;
        this.positions = positions;
        this.layers = List.copyOf(layers);
        this.lnW = lnW;
        this.lnB = lnB;
        this.owned = owned;
    }

    /**
     * A Hugging Face Whisper directory ({@code config.json} + safetensors), or openai-whisper's own checkpoint
     * file ({@code large-v3.pt}, {@link OpenAiWhisper}).
     */
    public static WhisperEncoder load(Path dir, DType dtype) {
        if (Files.isRegularFile(dir)) return OpenAiWhisper.load(dir, dtype);
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new CheckpointException(dir.toString(), null, "no config.json", "point at a Hugging Face Whisper model directory");
        WhisperConfig c = WhisperConfig.read(cfg);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            return load(c, ckpt, dtype);
        }
    }

    /** Weights from any source (a checkpoint, or {@link WeightSource#random} for benchmarks). */
    public static WhisperEncoder load(WhisperConfig c, WeightSource ckpt, DType dtype) {
        Torch.init();
        String prefix = ckpt.contains("model.encoder.conv1.weight") ? "model.encoder." : ckpt.contains("encoder.conv1.weight") ? "encoder." : null;
        if (prefix == null) {
            throw new CheckpointException(ckpt instanceof Checkpoint cp ? cp.dir().toString() : "weights", "model.encoder.conv1.weight", "missing: this is not a Whisper encoder checkpoint",
                    "use a WhisperModel / WhisperForConditionalGeneration checkpoint");
        }
        List<Tensor> owned = new ArrayList<>();
        int d = c.dModel(), f = c.ffnDim();
        java.util.function.BiFunction<String, long[], Tensor> w = (name, shape) -> {
            Tensor t = Torch.own(ckpt.tensor(prefix + name, dtype, shape));
            owned.add(t);
            return t;
        };
        try (PointerScope scope = new PointerScope()) {
            List<Layer> layers = new ArrayList<>();
            for (int i = 0; i < c.layers(); i++) {
                String p = "layers." + i + ".";
                layers.add(new Layer(
                        w.apply(p + "self_attn_layer_norm.weight", new long[]{d}), w.apply(p + "self_attn_layer_norm.bias", new long[]{d}),
                        new Linear(w.apply(p + "self_attn.q_proj.weight", new long[]{d, d}), w.apply(p + "self_attn.q_proj.bias", new long[]{d})),
                        new Linear(w.apply(p + "self_attn.k_proj.weight", new long[]{d, d}), null),
                        new Linear(w.apply(p + "self_attn.v_proj.weight", new long[]{d, d}), w.apply(p + "self_attn.v_proj.bias", new long[]{d})),
                        new Linear(w.apply(p + "self_attn.out_proj.weight", new long[]{d, d}), w.apply(p + "self_attn.out_proj.bias", new long[]{d})),
                        w.apply(p + "final_layer_norm.weight", new long[]{d}), w.apply(p + "final_layer_norm.bias", new long[]{d}),
                        new Linear(w.apply(p + "fc1.weight", new long[]{f, d}), w.apply(p + "fc1.bias", new long[]{f})),
                        new Linear(w.apply(p + "fc2.weight", new long[]{d, f}), w.apply(p + "fc2.bias", new long[]{d}))));
            }
            return new WhisperEncoder(c, dtype,
                    w.apply("conv1.weight", new long[]{d, c.numMelBins(), 3}), w.apply("conv1.bias", new long[]{d}),
                    w.apply("conv2.weight", new long[]{d, d, 3}), w.apply("conv2.bias", new long[]{d}),
                    w.apply("embed_positions.weight", new long[]{c.maxSourcePositions(), d}), layers,
                    w.apply("layer_norm.weight", new long[]{d}), w.apply("layer_norm.bias", new long[]{d}), owned);
        } catch (RuntimeException e) {
            owned.forEach(Tensor::close);
            throw e;
        }
    }

    public WhisperConfig config() { return config; }

    /** Every weight by HF name (without the model.encoder. prefix). */
    public java.util.Map<String, Tensor> tensors() {
        java.util.Map<String, Tensor> m = new java.util.LinkedHashMap<>();
        m.put("conv1.weight", conv1W);
        m.put("conv1.bias", conv1B);
        m.put("conv2.weight", conv2W);
        m.put("conv2.bias", conv2B);
        m.put("embed_positions.weight", positions);
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String p = "layers." + i + ".";
            m.put(p + "self_attn_layer_norm.weight", l.selfAttnLayerNormW());
            m.put(p + "self_attn_layer_norm.bias", l.selfAttnLayerNormB());
            m.put(p + "self_attn.q_proj.weight", l.qProj().weight());
            m.put(p + "self_attn.q_proj.bias", l.qProj().bias());
            m.put(p + "self_attn.k_proj.weight", l.kProj().weight());
            m.put(p + "self_attn.v_proj.weight", l.vProj().weight());
            m.put(p + "self_attn.v_proj.bias", l.vProj().bias());
            m.put(p + "self_attn.out_proj.weight", l.outProj().weight());
            m.put(p + "self_attn.out_proj.bias", l.outProj().bias());
            m.put(p + "final_layer_norm.weight", l.finalLayerNormW());
            m.put(p + "final_layer_norm.bias", l.finalLayerNormB());
            m.put(p + "fc1.weight", l.fc1().weight());
            m.put(p + "fc1.bias", l.fc1().bias());
            m.put(p + "fc2.weight", l.fc2().weight());
            m.put(p + "fc2.bias", l.fc2().bias());
        }
        m.put("layer_norm.weight", lnW);
        m.put("layer_norm.bias", lnB);
        return m;
    }

    public DType dtype() { return dtype; }

    /** Encodes mel [M, F] or [B, M, F]; {@code allLayers} also returns the residual stream after every layer. */
    public Output encode(Tensor mel, boolean allLayers) {
        Tensor x = mel.dim() == 2 ? mel.unsqueeze(0) : mel;
        if (x.dim() != 3 || x.size(1) != config.numMelBins()) {
            throw new IllegalArgumentException("encoder input must be [B, " + config.numMelBins() + ", frames] log-mel, got " + Arrays.toString(Torch.shape(mel))
                    + (x.dim() == 3 ? " (this encoder was trained on " + config.numMelBins() + " mel bins: use --n-mels " + config.numMelBins() + ")" : ""));
        }
        long frames = x.size(2);
        if (frames < 2 || frames > config.maxFrames()) {
            throw new IllegalArgumentException("encoder input has " + frames + " frames; this encoder takes 2.." + config.maxFrames()
                    + " (" + String.format(java.util.Locale.ROOT, "%.0f", config.maxSeconds()) + " s): split longer audio into chunks");
        }
        x = x.to(Torch.scalarType(dtype));
        List<Tensor> collect = allLayers ? new ArrayList<>() : null;
        x = torch.gelu(torch.conv1d(x, conv1W, new TensorOptional(conv1B), new long[]{1}, new long[]{1}, new long[]{1}, 1));  // [B, D, F]
        x = torch.gelu(torch.conv1d(x, conv2W, new TensorOptional(conv2B), new long[]{2}, new long[]{1}, new long[]{1}, 1));  // [B, D, T]
        x = x.permute(0, 2, 1);                                                              // [B, T, D]
        x = x.add(positions.narrow(0, 0, x.size(1)));
        if (collect != null) collect.add(x);
        for (Layer l : layers) {
            x = x.add(attention(l, layerNorm(x, l.selfAttnLayerNormW(), l.selfAttnLayerNormB())));
            Tensor m = layerNorm(x, l.finalLayerNormW(), l.finalLayerNormB());
            x = x.add(l.fc2().apply(torch.gelu(l.fc1().apply(m))));
            if (collect != null) collect.add(x);
        }
        return new Output(layerNorm(x, lnW, lnB), collect);
    }

    private Tensor attention(Layer l, Tensor x) {
        long b = x.size(0), t = x.size(1);
        int h = config.heads(), hd = config.headDim();
        Tensor q = l.qProj().apply(x).view(b, t, h, hd).transpose(1, 2); // [B, H, T, hd]
        Tensor k = l.kProj().apply(x).view(b, t, h, hd).transpose(1, 2);
        Tensor v = l.vProj().apply(x).view(b, t, h, hd).transpose(1, 2);
        Tensor o = dev.auris.nn.Attention.attend(q, k, v, null, false);   // scale hd^-0.5, as HF's q scaling
        return l.outProj().apply(o.transpose(1, 2).reshape(b, t, (long) h * hd));
    }

    private static Tensor layerNorm(Tensor x, Tensor w, Tensor b) {
        return dev.auris.nn.Norms.layer(x, w, b, 1e-5);
    }

    @Override
    public void close() { owned.forEach(Tensor::close); }
}
