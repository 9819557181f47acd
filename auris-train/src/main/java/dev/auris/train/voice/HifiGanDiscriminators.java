package dev.auris.train.voice;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * HiFi-GAN's discriminators (Kong et al. 2020, §2.2–2.3; {@code models.py}), narrowed for two CPU cores: the
 * multi-period discriminator (periods 2, 3, 5, 7, 11: the waveform folded to [T/p, p], five (5, 1) convolutions
 * of stride (3, 1) then one of stride 1, a (3, 1) output) and the multi-scale discriminator (3 scales: raw, ×2
 * and ×4 average-pooled; strided 1-D convolutions of k 41 in 4 groups). Channels are those of the paper divided by
 * {@code 1024 / top} (top 128: 1→16→32→64→128→128). Weight norm / spectral norm are left out (plain weights).
 *
 * <p>Shapes: B batch, S samples; every discriminator returns its score map and its feature maps (after each
 * leaky ReLU), for the LSGAN and feature-matching losses.
 */
public final class HifiGanDiscriminators implements AutoCloseable {
    static final int[] PERIODS = {2, 3, 5, 7, 11};
    static final int SCALES = 3;
    private static final double LRELU = 0.1;

    /** One discriminator's outputs: score [B, …] and feature maps. */
    public record Out(Tensor score, List<Tensor> features) {}

    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final int[] mpdCh, msdCh;

    /** @param base the first layer's channels (16: the paper's 32/64/128 … divided by 4–8) */
    public HifiGanDiscriminators(int base, long seed) {
        Torch.init();
        torch.manual_seed(seed);
        mpdCh = new int[]{1, base, 2 * base, 4 * base, 8 * base, 8 * base};
        msdCh = new int[]{1, base, 2 * base, 4 * base, 8 * base, 8 * base, 8 * base};
        for (int p : PERIODS) {
            String n = "mpd." + p + ".";
            for (int l = 0; l < 5; l++) conv(n + l, mpdCh[l + 1], mpdCh[l], 5, 1);
            conv(n + "post", 1, mpdCh[5], 3, 1);
        }
        for (int s = 0; s < SCALES; s++) {
            String n = "msd." + s + ".";
            conv(n + 0, msdCh[1], 1, 15, 0);
            for (int l = 1; l < 5; l++) conv(n + l, msdCh[l + 1], msdCh[l] / groups(l), 41, 0);
            conv(n + 5, msdCh[6], msdCh[5], 5, 0);
            conv(n + "post", 1, msdCh[6], 3, 0);
        }
    }

    /** MSD layer l's groups. */
    private int groups(int l) {
        return Math.min(4, msdCh[l]);                // the paper's 4, 16, 16, 16: 4 here (libtorch loops over groups)
    }

    /** torch's default init: U(±1/√fan_in). kw 0 for a 1-D kernel. */
    private void conv(String name, int out, int in, int kh, int kw) {
        long[] shape = kw == 0 ? new long[]{out, in, kh} : new long[]{out, in, kh, kw};
        double bound = 1 / Math.sqrt((double) in * kh * Math.max(1, kw));
        params.put(name + ".weight", Torch.own(torch.rand(shape, Torch.options(DType.F32)).mul_(Torch.scalar(2 * bound)).sub_(Torch.scalar(bound))));
        params.put(name + ".bias", Torch.own(torch.zeros(new long[]{out}, Torch.options(DType.F32))));
    }

    public Map<String, Tensor> parameters() { return params; }

    /** Copies weights of the same names and shapes in (for the golden test and restarts). */
    public void restore(dev.auris.io.WeightSource src) {
        try (var g = new org.bytedeco.pytorch.NoGradGuard(); var scope = new org.bytedeco.javacpp.PointerScope()) {
            params.forEach((n, t) -> t.copy_(src.tensor(n, DType.F32, Torch.shape(t))));
        }
    }

    /** Every discriminator's outputs for waveforms y [B, 1, S]: the 5 period ones, then the 3 scale ones. */
    public List<Out> apply(Tensor y) {
        List<Out> out = new ArrayList<>();
        for (int p : PERIODS) out.add(period(y, p));
        Tensor x = y;
        for (int s = 0; s < SCALES; s++) {
            if (s > 0) x = torch.avg_pool1d(x, new long[]{4}, new long[]{2}, new long[]{2}, false, true);
            out.add(scale(x, s));
        }
        return out;
    }

    private Out period(Tensor y, int p) {
        long b = y.size(0), t = y.size(2);
        if (t % p != 0) {
            y = torch.reflection_pad1d(y, new long[]{0, p - t % p});
            t = y.size(2);
        }
        Tensor x = y.view(b, 1, t / p, p);                                                    // [B, 1, S/p, p]
        List<Tensor> f = new ArrayList<>();
        String n = "mpd." + p + ".";
        for (int l = 0; l < 5; l++) {
            x = torch.leaky_relu(torch.conv2d(x, params.get(n + l + ".weight"), new TensorOptional(params.get(n + l + ".bias")),
                    new long[]{l < 4 ? 3 : 1, 1}, new long[]{2, 0}, new long[]{1, 1}, 1), Torch.scalar(LRELU));
            f.add(x);
        }
        x = torch.conv2d(x, params.get(n + "post.weight"), new TensorOptional(params.get(n + "post.bias")), new long[]{1, 1}, new long[]{1, 0}, new long[]{1, 1}, 1);
        f.add(x);
        return new Out(x.flatten(1, -1), f);
    }

    private Out scale(Tensor x, int s) {
        String n = "msd." + s + ".";
        int[] stride = {1, 2, 2, 4, 4, 1}, pad = {7, 20, 20, 20, 20, 2};
        List<Tensor> f = new ArrayList<>();
        for (int l = 0; l < 6; l++) {
            int g = l >= 1 && l <= 4 ? groups(l) : 1;
            x = torch.leaky_relu(torch.conv1d(x, params.get(n + l + ".weight"), new TensorOptional(params.get(n + l + ".bias")),
                    new long[]{stride[l]}, new long[]{pad[l]}, new long[]{1}, g), Torch.scalar(LRELU));
            f.add(x);
        }
        x = torch.conv1d(x, params.get(n + "post.weight"), new TensorOptional(params.get(n + "post.bias")), new long[]{1}, new long[]{1}, new long[]{1}, 1);
        f.add(x);
        return new Out(x.flatten(1, -1), f);
    }

    @Override
    public void close() {
        params.values().forEach(Tensor::close);
    }
}
