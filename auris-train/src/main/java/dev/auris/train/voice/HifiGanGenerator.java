package dev.auris.train.voice;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.SafeTensorsWriter;
import dev.auris.speech.CodeHiFiGanConfig;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * fairseq's {@code CodeGenerator} (unit embedding, duration predictor, HiFi-GAN generator) as trainable
 * tensors under fairseq's names, weight norm kept as {@code weight_g} / {@code weight_v} (w = g · v / ‖v‖, the
 * norm over all dimensions but 0), so {@link dev.auris.speech.CodeHiFiGan#load} reads what {@link #save}
 * writes and runs the same network. The forward is the inference one of {@code CodeHiFiGan}, with gradients.
 *
 * <p>Shapes: B batch, E embedding width, F frames, N units, H samples per frame.
 */
public final class HifiGanGenerator implements AutoCloseable {
    private static final double LRELU = 0.1;
    private final CodeHiFiGanConfig config;
    private final Map<String, Tensor> params = new LinkedHashMap<>();

    /**
     * Random initialisation: HiFi-GAN's {@code init_weights} N(0, 0.01) for the ResBlock convolutions, N(0, 1/fan-in) for
     * conv_pre, the upsampling convolutions and conv_post (so a narrow generator does not start silent); weight norm g = ‖v‖.
     */
    public HifiGanGenerator(CodeHiFiGanConfig c, long seed) {
        Torch.init();
        this.config = c;
        torch.manual_seed(seed);
        int e = c.embeddingDim(), c0 = c.upsampleInitialChannel();
        plain("dict.weight", 1.0, c.numEmbeddings(), e);
        var dp = c.durationPredictor();
        if (dp != null) {
            int h = dp.hiddenDim(), k = dp.kernelSize();
            plain("dur_predictor.conv1.0.weight", Math.sqrt(1.0 / (e * k)), h, e, k);
            zeros("dur_predictor.conv1.0.bias", h);
            ones("dur_predictor.ln1.weight", h);
            zeros("dur_predictor.ln1.bias", h);
            plain("dur_predictor.conv2.0.weight", Math.sqrt(1.0 / (h * k)), h, h, k);
            zeros("dur_predictor.conv2.0.bias", h);
            ones("dur_predictor.ln2.weight", h);
            zeros("dur_predictor.ln2.bias", h);
            plain("dur_predictor.proj.weight", Math.sqrt(1.0 / h), 1, h);
            zeros("dur_predictor.proj.bias", 1);
        }
        normed("conv_pre", Math.sqrt(1.0 / (e * 7)), c0, e, 7);
        zeros("conv_pre.bias", c0);
        int ch = c0, block = 0;
        for (int i = 0; i < c.upsampleRates().size(); i++) {
            // fan-in scaled (not HiFi-GAN's 0.01): at 64–128 channels 0.01 leaves the output near silence, under the mel
            // loss's 1e-5 clamp, where the mel L1 has no gradient (seen: flat for 200 warm-up steps)
            normed("ups." + i, Math.sqrt(1.0 / (ch * c.upsampleKernelSizes().get(i) / (double) c.upsampleRates().get(i))), ch, ch / 2, c.upsampleKernelSizes().get(i));
            zeros("ups." + i + ".bias", ch / 2);
            ch /= 2;
            for (int j = 0; j < c.resblockKernelSizes().size(); j++, block++) {
                int rk = c.resblockKernelSizes().get(j);
                for (int m = 0; m < 3; m++) {
                    for (String conv : new String[]{"convs1.", "convs2."}) {
                        normed("resblocks." + block + "." + conv + m, 0.01, ch, ch, rk);
                        zeros("resblocks." + block + "." + conv + m + ".bias", ch);
                    }
                }
            }
        }
        normed("conv_post", Math.sqrt(1.0 / (ch * 7)), 1, ch, 7);
        zeros("conv_post.bias", 1);
    }

    private void plain(String name, double std, long... shape) {
        params.put(name, Torch.own(torch.randn(shape, Torch.options(DType.F32)).mul_(Torch.scalar(std))));
    }

    private void zeros(String name, long n) { params.put(name, Torch.own(torch.zeros(new long[]{n}, Torch.options(DType.F32)))); }

    private void ones(String name, long n) { params.put(name, Torch.own(torch.ones(new long[]{n}, Torch.options(DType.F32)))); }

    private void normed(String name, double std, long... shape) {
        Tensor v = torch.randn(shape, Torch.options(DType.F32)).mul_(Torch.scalar(std));
        params.put(name + ".weight_g", Torch.own(norm(v).detach().clone()));
        params.put(name + ".weight_v", Torch.own(v));
    }

    /** ‖v‖ over all dimensions but 0: [shape[0], 1, 1]. */
    private static Tensor norm(Tensor v) {
        return v.pow(Torch.scalar(2)).sum(new long[]{1, 2}, true, new ScalarTypeOptional()).sqrt();
    }

    private Tensor w(String name) {
        Tensor g = params.get(name + ".weight_g"), v = params.get(name + ".weight_v");
        return v.mul(g.div(norm(v)));
    }

    private Tensor b(String name) { return params.get(name + ".bias"); }

    public CodeHiFiGanConfig config() { return config; }

    /** Every trainable tensor by its fairseq name. */
    public Map<String, Tensor> parameters() { return params; }

    /** Waveforms [B, 1, F·H] of frame units [B, F] (each frame's unit): {@code hifigan.py Generator.forward}. */
    public Tensor forward(Tensor frameUnits) {
        Tensor x = torch.embedding(params.get("dict.weight"), frameUnits).transpose(1, 2);    // [B, E, F]
        x = conv(x, "conv_pre", 3, 1);
        int kernels = config.resblockKernelSizes().size();
        for (int i = 0; i < config.upsampleRates().size(); i++) {
            int u = config.upsampleRates().get(i), k = config.upsampleKernelSizes().get(i);
            x = torch.conv_transpose1d(torch.leaky_relu(x, Torch.scalar(LRELU)), w("ups." + i), new TensorOptional(b("ups." + i)),
                    new long[]{u}, new long[]{(k - u) / 2}, new long[]{0}, 1, 1);                  // [B, C/2^(i+1), F·u0…ui]
            Tensor xs = null;
            for (int j = 0; j < kernels; j++) {
                Tensor r = resblock(x, i * kernels + j, config.resblockKernelSizes().get(j), config.resblockDilationSizes().get(j));
                xs = xs == null ? r : xs.add(r);
            }
            x = xs.div(Torch.scalar(kernels));
        }
        return torch.tanh(conv(torch.leaky_relu(x, Torch.scalar(0.01)), "conv_post", 3, 1));   // [B, 1, F·H]
    }

    private Tensor resblock(Tensor x, int block, int k, java.util.List<Integer> dilations) {
        String p = "resblocks." + block + ".";
        for (int m = 0; m < 3; m++) {
            int d = dilations.get(m);
            Tensor t = conv(torch.leaky_relu(x, Torch.scalar(LRELU)), p + "convs1." + m, (k * d - d) / 2, d);
            x = conv(torch.leaky_relu(t, Torch.scalar(LRELU)), p + "convs2." + m, (k - 1) / 2, 1).add(x);
        }
        return x;
    }

    private Tensor conv(Tensor x, String name, int padding, int dilation) {
        return torch.conv1d(x, w(name), new TensorOptional(b(name)), new long[]{1}, new long[]{padding}, new long[]{dilation}, 1);
    }

    /** The duration predictor's log-durations [N] of units [N] ({@code fastspeech2.py VariancePredictor}, dropout off). */
    public Tensor logDurations(Tensor units) {
        String p = "dur_predictor.";
        int h = config.durationPredictor().hiddenDim();
        Tensor x = torch.embedding(params.get("dict.weight"), units).t().unsqueeze(0);        // [1, E, N]
        Tensor y = torch.relu(torch.conv1d(x, params.get(p + "conv1.0.weight"), new TensorOptional(params.get(p + "conv1.0.bias")), new long[]{1}, new long[]{1}, new long[]{1}, 1));
        y = torch.layer_norm(y.transpose(1, 2), new long[]{h}, new TensorOptional(params.get(p + "ln1.weight")), new TensorOptional(params.get(p + "ln1.bias")), 1e-5, false);
        y = torch.relu(torch.conv1d(y.transpose(1, 2), params.get(p + "conv2.0.weight"), new TensorOptional(params.get(p + "conv2.0.bias")), new long[]{1}, new long[]{1}, new long[]{1}, 1));
        y = torch.layer_norm(y.transpose(1, 2), new long[]{h}, new TensorOptional(params.get(p + "ln2.weight")), new TensorOptional(params.get(p + "ln2.bias")), 1e-5, false);
        return torch.linear(y, params.get(p + "proj.weight"), new TensorOptional(params.get(p + "proj.bias"))).reshape(-1);   // [N]
    }

    /** model.safetensors under fairseq's generator names (weight norm unfolded: g and v). */
    public void save(Path file) {
        Map<String, SafeTensorsWriter.Entry> e = new LinkedHashMap<>();
        params.forEach((n, t) -> e.put(n, new SafeTensorsWriter.Entry(DType.F32, Torch.shape(t), Torch.toBytes(t.detach().contiguous()))));
        SafeTensorsWriter.write(file, e, Map.of("format", "pt"));
    }

    /** Restores tensors saved by {@link #save} (values copied in place). */
    public void restore(dev.auris.io.WeightSource src) {
        try (var g = new org.bytedeco.pytorch.NoGradGuard(); var scope = new org.bytedeco.javacpp.PointerScope()) {
            params.forEach((n, t) -> t.copy_(src.tensor(n, DType.F32, Torch.shape(t))));
        }
    }

    @Override
    public void close() {
        params.values().forEach(Tensor::close);
    }
}
