package dev.auris.train.augment;

import dev.auris.core.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.StringViewOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.SplittableRandom;

/**
 * Reverberation by a synthetic room impulse response: a direct path, then Gaussian noise under an
 * exponential envelope that falls 60 dB in the reverberation time RT60 (the statistical model of late
 * reverberation, Polack 1988), with a 2–20 ms gap before the first reflections. The clip is convolved with it
 * (by FFT, in libtorch), cut to its own length, and brought back to its own RMS level.
 */
final class Room {
    private Room() {}

    static float[] reverberate(float[] x, double rt60, SplittableRandom r) {
        if (x.length == 0) return x;
        float[] h = impulse(rt60, r);
        int n = x.length + h.length - 1;
        float[] y;
        try (PointerScope scope = new PointerScope()) {
            Tensor xs = torch.fft_rfft(Torch.fromFloats(x, x.length), new LongOptional(n), 0, new StringViewOptional());
            Tensor hs = torch.fft_rfft(Torch.fromFloats(h, h.length), new LongOptional(n), 0, new StringViewOptional());
            y = Torch.toFloats(torch.fft_irfft(xs.mul(hs), new LongOptional(n), 0, new StringViewOptional()).narrow(0, 0, x.length).contiguous());
        }
        double before = Noise.power(x), after = Noise.power(y);
        if (after > 0) {
            float g = (float) Math.sqrt(before / after);
            for (int i = 0; i < y.length; i++) y[i] *= g;
        }
        return y;
    }

    /** The impulse response at 16 kHz: 1 at t = 0, then the decaying tail from the first reflection on, RT60 long. */
    static float[] impulse(double rt60, SplittableRandom r) {
        int rate = dev.auris.audio.AudioClip.SAMPLE_RATE;
        int gap = (int) (rate * r.nextDouble(0.002, 0.020));
        int len = gap + (int) (rate * rt60);
        float[] h = new float[len];
        h[0] = 1;
        double tail = r.nextDouble(0.2, 0.6);                     // the reflections' level against the direct path at their start
        double decay = Math.log(1000) / (rt60 * rate);            // 60 dB of amplitude (10^3) over rt60
        for (int i = gap; i < len; i++) h[i] = (float) (tail * r.nextGaussian() * Math.exp(-decay * (i - gap)));
        return h;
    }
}
