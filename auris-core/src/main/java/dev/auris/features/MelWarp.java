package dev.auris.features;

import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;

import java.util.SplittableRandom;

/**
 * Speaker and tempo augmentation on a log-mel [M, F] by linear resampling of its two axes: the mel axis
 * stretched by a factor a (vocal-tract-length perturbation, Jaitly and Hinton 2013, applied to the mel
 * bins: bin m reads bin m·a), the time axis by a factor b (tempo perturbation without a pitch change,
 * F frames become round(F·b)). Both factors are drawn uniformly from [1 − w, 1 + w] per clip and step,
 * so a synthetic voice is heard with many vocal tracts and speaking rates over training. Cheap: two
 * small matrix products on the cached mel, no audio is re-synthesised. At inference the mel-axis warp
 * alone (b = 1, the frames unchanged) gives views of one clip whose CTC posteriors can be averaged
 * frame by frame (the ctc-compress connector's {@code tta_warps}).
 */
public final class MelWarp {
    private MelWarp() {}

    /**
     * A warped copy of mel [M, F] → [M, F'], with factors drawn from [1 − w, 1 + w] and F' at most
     * {@code maxFrames} (the encoder's window); w = 0 returns the input.
     */
    public static Tensor apply(Tensor mel, double w, SplittableRandom r, long maxFrames) {
        if (w <= 0) return mel;
        double a = 1 + w * (2 * r.nextDouble() - 1), b = 1 + w * (2 * r.nextDouble() - 1);
        return warp(mel, a, Math.min(b, (double) maxFrames / mel.size(1)));
    }

    /** mel [M, F] with bin m read at m·a (clamped to the top bin) and F frames resampled to round(F·b). */
    public static Tensor warp(Tensor mel, double a, double b) {
        if (mel.dim() != 2) throw new IllegalArgumentException("mel warp wants [M, F], got " + mel.dim() + " dimensions");
        if (!(a > 0 && b > 0)) throw new IllegalArgumentException("mel warp factors must be positive, got " + a + ", " + b);
        int m = (int) mel.size(0), f = (int) mel.size(1);
        int f2 = Math.max(2, (int) Math.round(f * b));
        Tensor freq = Torch.fromFloats(interpolation(m, m, a), m, m);             // [M, M]: out bin × in bin
        double step = f > 1 ? (double) (f - 1) / (f2 - 1) : 0;
        Tensor time = Torch.fromFloats(transpose(interpolation(f2, f, step), f2, f), f, f2); // [F, F']
        return freq.matmul(mel.contiguous()).matmul(time);                        // [M, F']
    }

    /** Rows of linear-interpolation weights [out, in]: output i reads input position i·scale. */
    private static float[] interpolation(int out, int in, double scale) {
        float[] w = new float[out * in];
        for (int i = 0; i < out; i++) {
            double s = Math.min(in - 1, i * scale);
            int lo = (int) Math.floor(s), hi = Math.min(in - 1, lo + 1);
            double frac = s - lo;
            w[i * in + lo] += (float) (1 - frac);
            w[i * in + hi] += (float) frac;
        }
        return w;
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }
}
