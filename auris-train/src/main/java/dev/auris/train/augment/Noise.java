package dev.auris.train.augment;

import java.util.SplittableRandom;

/**
 * Additive noise at a signal-to-noise ratio: white, pink (−3 dB/octave, Paul Kellet's refined filter) or
 * brown (−6 dB/octave, leaky integration), one colour chosen per clip; the noise's power is set against the
 * clip's mean power.
 */
final class Noise {
    private Noise() {}

    /** {@code x} plus noise of a random colour at {@code snrDb} dB below its mean power (a silent clip is returned as is). */
    static float[] add(float[] x, double snrDb, SplittableRandom r) {
        double signal = power(x);
        if (signal <= 0) return x;
        float[] n = switch (r.nextInt(3)) {
            case 0 -> white(x.length, r);
            case 1 -> pink(x.length, r);
            default -> brown(x.length, r);
        };
        double scale = Math.sqrt(signal / (power(n) * Math.pow(10, snrDb / 10)));
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = (float) (x[i] + scale * n[i]);
        return y;
    }

    static double power(float[] x) {
        double s = 0;
        for (float v : x) s += (double) v * v;
        return x.length == 0 ? 0 : s / x.length;
    }

    static float[] white(int n, SplittableRandom r) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) r.nextGaussian();
        return w;
    }

    /** Pink noise: white through Paul Kellet's seven-pole "refined" filter (accurate to ±0.05 dB above 9.2 Hz at 44.1 kHz). */
    static float[] pink(int n, SplittableRandom r) {
        float[] out = new float[n];
        double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
        for (int i = 0; i < n; i++) {
            double w = r.nextGaussian();
            b0 = 0.99886 * b0 + w * 0.0555179;
            b1 = 0.99332 * b1 + w * 0.0750759;
            b2 = 0.96900 * b2 + w * 0.1538520;
            b3 = 0.86650 * b3 + w * 0.3104856;
            b4 = 0.55000 * b4 + w * 0.5329522;
            b5 = -0.7616 * b5 - w * 0.0168980;
            out[i] = (float) (b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362);
            b6 = w * 0.115926;
        }
        return out;
    }

    /** Brown noise: white integrated with a slight leak (so it does not wander off), its mean removed. */
    static float[] brown(int n, SplittableRandom r) {
        float[] out = new float[n];
        double acc = 0, mean = 0;
        for (int i = 0; i < n; i++) {
            acc = 0.998 * acc + r.nextGaussian();
            out[i] = (float) acc;
            mean += acc;
        }
        mean /= Math.max(1, n);
        for (int i = 0; i < n; i++) out[i] -= (float) mean;
        return out;
    }
}
