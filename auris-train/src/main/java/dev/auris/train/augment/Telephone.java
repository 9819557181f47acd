package dev.auris.train.augment;

import dev.auris.audio.AudioClip;

/**
 * A telephone line: the clip at 8 kHz, band-passed to 300–3400 Hz (second-order Butterworth high- and
 * low-pass sections, the RBJ audio-EQ cookbook's biquads), coded with G.711 µ-law (8 bits, µ = 255), and
 * brought back to 16 kHz.
 */
final class Telephone {
    static final int RATE = 8000;

    private Telephone() {}

    static float[] line(float[] x) {
        float[] y = new AudioClip(x, AudioClip.SAMPLE_RATE).resample(RATE).samples();
        y = biquad(y, 300, true);
        y = biquad(y, 3400, false);
        for (int i = 0; i < y.length; i++) y[i] = muLaw(y[i]);
        return new AudioClip(y, RATE).resample(AudioClip.SAMPLE_RATE).samples();
    }

    /** One sample through µ-law companding quantized to 8 bits (256 levels) and expanded back. */
    static float muLaw(float v) {
        double x = Math.max(-1, Math.min(1, v));
        double c = Math.signum(x) * Math.log1p(255 * Math.abs(x)) / Math.log(256);   // [-1, 1]
        double q = Math.round(c * 127.5 - 0.5) + 0.5;                               // one of 256 levels
        double d = q / 127.5;
        return (float) (Math.signum(d) * (Math.pow(256, Math.abs(d)) - 1) / 255);
    }

    /** A second-order Butterworth (Q = 1/√2) high- or low-pass at {@code cutoff} Hz, 8 kHz. */
    static float[] biquad(float[] x, double cutoff, boolean highPass) {
        double w = 2 * Math.PI * cutoff / RATE, cos = Math.cos(w), alpha = Math.sin(w) / (2 * Math.sqrt(0.5));
        double b0 = highPass ? (1 + cos) / 2 : (1 - cos) / 2, b1 = highPass ? -(1 + cos) : 1 - cos, b2 = b0;
        double a0 = 1 + alpha, a1 = -2 * cos, a2 = 1 - alpha;
        float[] y = new float[x.length];
        double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
        for (int i = 0; i < x.length; i++) {
            double out = (b0 * x[i] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0;
            x2 = x1;
            x1 = x[i];
            y2 = y1;
            y1 = out;
            y[i] = (float) out;
        }
        return y;
    }
}
