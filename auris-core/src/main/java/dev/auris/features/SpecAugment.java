package dev.auris.features;

import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;

import java.util.SplittableRandom;

/**
 * SpecAugment's masking (Park et al. 2019) of a log-mel [M, F]: one span of time frames, then one span of
 * mel bins, each up to a fraction of its axis, set to the clip's floor (its quietest value, what silence
 * looks like in it). Returns a copy; the input is unchanged.
 */
public final class SpecAugment {
    private SpecAugment() {}

    /** mel [M, F] with one time span, then one mel span, of up to {@code fraction} of each axis masked; 0 returns the input. */
    public static Tensor apply(Tensor mel, double fraction, SplittableRandom r) {
        if (!(fraction >= 0 && fraction < 1)) throw new IllegalArgumentException("SpecAugment's span fraction must be in [0, 1), got " + fraction);
        if (fraction == 0) return mel;
        return maskSpan(maskSpan(mel, 1, r, fraction), 0, r, fraction);
    }

    /** mel [M, F] with one span of up to {@code fraction} of dimension {@code dim} (1: time frames, 0: mel bins) at the floor. */
    public static Tensor maskSpan(Tensor mel, int dim, SplittableRandom r, double fraction) {
        if (mel.dim() != 2) throw new IllegalArgumentException("SpecAugment wants a log-mel [M, F], got " + mel.dim() + " dimensions");
        long n = mel.size(dim);
        int width = (int) (r.nextDouble() * fraction * n);
        if (width < 1) return mel;
        int start = r.nextInt((int) Math.max(1, n - width));
        Tensor x = mel.clone();
        x.narrow(dim, start, width).fill_(Torch.scalar(Torch.toFloats(mel.min())[0]));
        return x;
    }
}
