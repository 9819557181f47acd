package dev.auris.speech;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.Checkpoint;
import dev.auris.io.CheckpointException;
import dev.auris.io.TorchCheckpoint;
import dev.auris.io.WeightSource;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * fairseq's unit HiFi-GAN as LLaMA-Omni uses it ({@code CodeHiFiGANVocoder} in
 * {@code fairseq/models/text_to_speech/vocoder.py}; the network is {@code CodeGenerator} in
 * {@code codehifigan.py} on {@code Generator} / {@code ResBlock} in {@code hifigan.py}): a unit embedding
 * ({@code dict}), an optional duration predictor ({@code VariancePredictor}, {@code fastspeech2.py}: durations
 * round(exp(log d) − 1) clamped to ≥ 1, then {@code repeat_interleave}), and the HiFi-GAN generator —
 * {@code conv_pre} (k7), per stage leaky ReLU 0.1 + {@code ConvTranspose1d} (rate u, kernel k, padding
 * (k−u)/2) + the mean of the multi-receptive-field ResBlocks (3 × [leaky, dilated conv, leaky, conv] with
 * residuals), then leaky ReLU with torch's default slope 0.01, {@code conv_post} (k7) and tanh.
 *
 * <p>Weights come from fairseq's checkpoint ({@code state_dict["generator"]}) with weight norm folded as
 * {@code remove_weight_norm} does: w = g · v / ‖v‖, the norm over every dimension but 0 (for the transposed
 * convolutions dimension 0 is the input channel). Inference runs in float32.
 *
 * <p>{@code try (var v = CodeHiFiGan.load(configJson, checkpointPt)) { float[] wav = v.vocode(units); }}
 */
public final class CodeHiFiGan implements Vocoder {
    private static final double LRELU_SLOPE = 0.1;

    record Conv(Tensor weight, Tensor bias, int padding, int dilation) {            // weight [out, in, k]
        Tensor apply(Tensor x) {
            return torch.conv1d(x, weight, new TensorOptional(bias), new long[]{1}, new long[]{padding}, new long[]{dilation}, 1);
        }
    }

    record Up(Tensor weight, Tensor bias, int stride, int padding) {                // weight [in, out, k]
        Tensor apply(Tensor x) {
            return torch.conv_transpose1d(x, weight, new TensorOptional(bias), new long[]{stride}, new long[]{padding}, new long[]{0}, 1, 1);
        }
    }

    record ResBlock(List<Conv> convs1, List<Conv> convs2) {
        Tensor apply(Tensor x) {
            for (int i = 0; i < convs1.size(); i++) {
                Tensor t = convs1.get(i).apply(torch.leaky_relu(x, Torch.scalar(LRELU_SLOPE)));
                x = convs2.get(i).apply(torch.leaky_relu(t, Torch.scalar(LRELU_SLOPE))).add(x);
            }
            return x;
        }
    }

    record DurationPredictor(Conv conv1, Tensor ln1w, Tensor ln1b, Conv conv2, Tensor ln2w, Tensor ln2b, Tensor projW, Tensor projB) {
        /** log-durations [N] of unit embeddings [1, C, N]. */
        Tensor apply(Tensor x) {
            long h = conv1.weight().size(0);
            Tensor y = torch.relu(conv1.apply(x)).transpose(1, 2);                                             // [1, N, h]
            y = torch.layer_norm(y, new long[]{h}, new TensorOptional(ln1w), new TensorOptional(ln1b), 1e-5, false);
            y = torch.relu(conv2.apply(y.transpose(1, 2))).transpose(1, 2);
            y = torch.layer_norm(y, new long[]{h}, new TensorOptional(ln2w), new TensorOptional(ln2b), 1e-5, false);
            return torch.linear(y, projW, new TensorOptional(projB)).reshape(-1);                                 // [N]
        }
    }

    private final CodeHiFiGanConfig config;
    private final Tensor dict;                 // [num_embeddings, C]
    private final DurationPredictor durationPredictor;
    private final Conv convPre, convPost;
    private final List<Up> ups;
    private final List<ResBlock> resblocks;    // stage i, kernel j at i · kernels + j
    private final List<Tensor> owned;
    private final int frameContext;

    private CodeHiFiGan(CodeHiFiGanConfig config, Tensor dict, DurationPredictor dp, Conv convPre, List<Up> ups, List<ResBlock> resblocks, Conv convPost, List<Tensor> owned) {
        this.config = config;
        this.dict = dict;
        this.durationPredictor = dp;
        this.convPre = convPre;
        this.ups = List.copyOf(ups);
        this.resblocks = List.copyOf(resblocks);
        this.convPost = convPost;
        this.owned = owned;
        this.frameContext = receptiveRadius(config);
    }

    /** fairseq's {@code config.json} and checkpoint: a torch.save {@code .pt} (weights under "generator") or a safetensors file of the same names. */
    public static CodeHiFiGan load(Path configJson, Path checkpoint) {
        CodeHiFiGanConfig c = CodeHiFiGanConfig.read(configJson);
        if (checkpoint.getFileName().toString().endsWith(".safetensors")) {
            try (Checkpoint ck = Checkpoint.of(checkpoint.getParent(), List.of(checkpoint))) {
                return load(c, ck);
            }
        }
        try (TorchCheckpoint ck = TorchCheckpoint.open(checkpoint, "generator")) {
            return load(c, ck);
        }
    }

    /** Weights from any source, by fairseq's names ({@code conv_pre.weight_g} / {@code weight_v} or already-folded {@code weight}). */
    public static CodeHiFiGan load(CodeHiFiGanConfig c, WeightSource src) {
        Torch.init();
        List<Tensor> owned = new ArrayList<>();
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Weights w = new Weights(src, owned);
            int c0 = c.upsampleInitialChannel(), e = c.embeddingDim();
            Tensor dict = w.plain("dict.weight", c.numEmbeddings(), e);
            DurationPredictor dp = null;
            if (c.durationPredictor() != null) {
                int h = c.durationPredictor().hiddenDim(), k = c.durationPredictor().kernelSize();
                String p = "dur_predictor.";
                dp = new DurationPredictor(new Conv(w.plain(p + "conv1.0.weight", h, e, k), w.plain(p + "conv1.0.bias", h), (k - 1) / 2, 1),
                        w.plain(p + "ln1.weight", h), w.plain(p + "ln1.bias", h),
                        new Conv(w.plain(p + "conv2.0.weight", h, h, k), w.plain(p + "conv2.0.bias", h), 1, 1),   // fastspeech2.py: padding=1 whatever k
                        w.plain(p + "ln2.weight", h), w.plain(p + "ln2.bias", h), w.plain(p + "proj.weight", 1, h), w.plain(p + "proj.bias", 1));
            }
            Conv pre = new Conv(w.normed("conv_pre", c0, c.modelInDim(), 7), w.plain("conv_pre.bias", c0), 3, 1);
            List<Up> ups = new ArrayList<>();
            List<ResBlock> blocks = new ArrayList<>();
            int ch = c0;
            for (int i = 0; i < c.upsampleRates().size(); i++) {
                int u = c.upsampleRates().get(i), k = c.upsampleKernelSizes().get(i);
                ups.add(new Up(w.normed("ups." + i, ch, ch / 2, k), w.plain("ups." + i + ".bias", ch / 2), u, (k - u) / 2));
                ch /= 2;
                for (int j = 0; j < c.resblockKernelSizes().size(); j++) {
                    int rk = c.resblockKernelSizes().get(j);
                    String r = "resblocks." + blocks.size() + ".";
                    List<Conv> c1 = new ArrayList<>(), c2 = new ArrayList<>();
                    for (int m = 0; m < 3; m++) {
                        int d = c.resblockDilationSizes().get(j).get(m);
                        c1.add(new Conv(w.normed(r + "convs1." + m, ch, ch, rk), w.plain(r + "convs1." + m + ".bias", ch), (rk * d - d) / 2, d));
                        c2.add(new Conv(w.normed(r + "convs2." + m, ch, ch, rk), w.plain(r + "convs2." + m + ".bias", ch), (rk - 1) / 2, 1));
                    }
                    blocks.add(new ResBlock(c1, c2));
                }
            }
            Conv post = new Conv(w.normed("conv_post", 1, ch, 7), w.plain("conv_post.bias", 1), 3, 1);
            return new CodeHiFiGan(c, dict, dp, pre, ups, blocks, post, owned);
        } catch (RuntimeException ex) {
            owned.forEach(Tensor::close);
            throw ex;
        }
    }

    /** Reads tensors by fairseq name, folding weight norm; every tensor is owned by the vocoder. */
    private record Weights(WeightSource src, List<Tensor> owned) {
        Tensor plain(String name, long... shape) {
            Tensor t = Torch.own(src.tensor(name, DType.F32, shape).contiguous());
            owned.add(t);
            return t;
        }

        /** hifigan.py {@code remove_weight_norm}: w = g · v / ‖v‖ (norm over all dimensions but 0); g [shape[0], 1, 1]. */
        Tensor normed(String name, long... shape) {
            Tensor w;
            if (src.contains(name + ".weight_v") || !src.contains(name + ".weight")) {
                Tensor v = src.tensor(name + ".weight_v", DType.F32, shape);
                Tensor g = src.tensor(name + ".weight_g", DType.F32, shape[0], 1, 1);
                Tensor norm = v.pow(Torch.scalar(2)).sum(new long[]{1, 2}, true, new ScalarTypeOptional()).sqrt();
                w = v.mul(g.div(norm)).contiguous();
            } else {
                w = src.tensor(name + ".weight", DType.F32, shape).contiguous();
            }
            owned.add(Torch.own(w));
            return w;
        }
    }

    public CodeHiFiGanConfig config() { return config; }

    @Override
    public int sampleRate() { return config.samplingRate(); }

    @Override
    public int units() { return config.numEmbeddings(); }

    @Override
    public int samplesPerFrame() { return config.samplesPerFrame(); }

    @Override
    public int frameContext() { return frameContext; }

    /** The duration predictor's two kernel-3 convolutions see two units on each side. */
    @Override
    public int unitContext() { return durationPredictor == null ? 0 : 2; }

    @Override
    public int[] durations(long[] units) {
        checkUnits(units);
        int[] out = new int[units.length];
        if (durationPredictor == null || units.length == 0) {
            java.util.Arrays.fill(out, 1);
            return out;
        }
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = torch.embedding(dict, Torch.fromLongs(units, units.length)).t().unsqueeze(0);           // [1, C, N]
            Tensor d = torch.round(torch.exp(durationPredictor.apply(x)).sub(Torch.scalar(1))).clamp_min(Torch.scalar(1));
            long[] l = Torch.toLongs(d);
            for (int i = 0; i < out.length; i++) out[i] = (int) l[i];
            return out;
        }
    }

    @Override
    public float[] synthesize(long[] frameUnits) {
        checkUnits(frameUnits);
        if (frameUnits.length == 0) return new float[0];
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = torch.embedding(dict, Torch.fromLongs(frameUnits, frameUnits.length)).t().unsqueeze(0);   // [1, C, F]
            return Torch.toFloats(generate(x));
        }
    }

    /** hifigan.py {@code Generator.forward}: [1, C, F] → [1, 1, F·H]. */
    Tensor generate(Tensor x) {
        x = convPre.apply(x);
        int kernels = config.resblockKernelSizes().size();
        for (int i = 0; i < ups.size(); i++) {
            x = ups.get(i).apply(torch.leaky_relu(x, Torch.scalar(LRELU_SLOPE)));                              // [1, C/2^(i+1), F·u0…ui]
            Tensor xs = resblocks.get(i * kernels).apply(x);
            for (int j = 1; j < kernels; j++) xs = xs.add(resblocks.get(i * kernels + j).apply(x));
            x = xs.div(Torch.scalar(kernels));
        }
        return torch.tanh(convPost.apply(torch.leaky_relu(x, Torch.scalar(0.01))));                           // F.leaky_relu default slope
    }

    private void checkUnits(long[] units) {
        for (long u : units) {
            if (u < 0 || u >= config.numEmbeddings()) {
                throw new IllegalArgumentException("unit " + u + " is outside the vocoder's 0.." + (config.numEmbeddings() - 1));
            }
        }
    }

    /**
     * The generator's receptive field in frames: the input frames the samples of one output frame depend on,
     * found by walking an interval back from the output — conv_post (±3 samples), each stage's widest
     * ResBlock (±Σ dilation·(k−1)/2 + (k−1)/2), each transposed convolution (output n reads inputs m with
     * 0 ≤ n + p − m·u ≤ k − 1), conv_pre (±3 frames). Returns the larger of its two sides.
     */
    static int receptiveRadius(CodeHiFiGanConfig c) {
        long lo = 0, hi = c.samplesPerFrame() - 1;                  // the samples of frame 0
        lo -= 3;
        hi += 3;
        for (int i = c.upsampleRates().size() - 1; i >= 0; i--) {
            int widest = 0;
            for (int j = 0; j < c.resblockKernelSizes().size(); j++) {
                int k = c.resblockKernelSizes().get(j), s = 0;
                for (int d : c.resblockDilationSizes().get(j)) s += d * (k - 1) / 2 + (k - 1) / 2;
                widest = Math.max(widest, s);
            }
            lo -= widest;
            hi += widest;
            int u = c.upsampleRates().get(i), k = c.upsampleKernelSizes().get(i), p = (k - u) / 2;
            lo = -Math.floorDiv(-(lo + p - k + 1), u);             // ⌈(lo + p − k + 1) / u⌉
            hi = Math.floorDiv(hi + p, u);
        }
        return (int) Math.max(-(lo - 3), hi + 3);
    }

    @Override
    public void close() {
        owned.forEach(Tensor::close);
    }
}
