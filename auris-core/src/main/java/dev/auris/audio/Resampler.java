package dev.auris.audio;

/**
 * Band-limited resampling by a Kaiser-windowed sinc (the method of libsamplerate / resampy): the
 * low-pass cut-off sits at 0.97 of the lower Nyquist frequency, the Kaiser window (β = 9, 64 zero
 * crossings) keeps the stop band below about −90 dB, so nothing above the new Nyquist aliases back.
 * For a rational ratio the filter is tabulated per output phase.
 */
public final class Resampler {
    static final int ZERO_CROSSINGS = 32;
    static final double ROLLOFF = 0.97;
    static final double BETA = 9.0;
    /** Phases tabulated at most (the filter's offsets are rounded to 1/MAX_PHASES of an input sample past it). */
    static final int MAX_PHASES = 1024;

    private Resampler() {}

    public static float[] resample(float[] x, int fromRate, int toRate) {
        if (fromRate <= 0 || toRate <= 0) throw new IllegalArgumentException("sample rates must be positive");
        if (fromRate == toRate) return x.clone();
        int g = gcd(fromRate, toRate);
        int up = toRate / g, down = fromRate / g;       // output n sits at input time n * down / up
        double cutoff = ROLLOFF * Math.min(1.0, (double) toRate / fromRate); // in cycles per input sample × 2
        double halfWidth = ZERO_CROSSINGS / cutoff;      // filter half-length in input samples
        int taps = (int) Math.ceil(halfWidth) * 2 + 1;
        long outLen = (long) Math.ceil(x.length * (double) up / down);
        float[] y = new float[(int) outLen];
        // one table per phase p: fractional offset p / phases, built when first used. An odd rate (596 167 Hz → 16 kHz:
        // 16 000 phases × 2 458 taps) made the full table take minutes, so past MAX_PHASES the offset is rounded to the
        // nearest of MAX_PHASES (at most 1/2048 of an input sample away); the usual rates need ≤ 640 and stay exact
        int phases = Math.min(up, MAX_PHASES);
        double[][] table = new double[phases][];
        int[] first = new int[phases];
        double i0Beta = besselI0(BETA);
        for (int n = 0; n < outLen; n++) {
            long num = (long) n * down;
            int base = (int) (num / up);
            long rem = num % up;
            int p = up == phases ? (int) rem : (int) Math.round((double) rem * phases / up);
            if (p == phases) {
                p = 0;
                base++;
            }
            if (table[p] == null) {
                double frac = (double) p / phases;
                int k0 = (int) Math.floor(frac - halfWidth) + 1;
                double[] h = new double[taps];
                for (int j = 0; j < taps; j++) {
                    double t = frac - (k0 + j);          // distance from the output instant, in input samples
                    if (Math.abs(t) >= halfWidth) continue;
                    double r = t / halfWidth;
                    double w = besselI0(BETA * Math.sqrt(1 - r * r)) / i0Beta;
                    h[j] = cutoff * sinc(cutoff * t) * w;
                }
                table[p] = h;
                first[p] = k0;
            }
            double[] h = table[p];
            int k = base + first[p];
            double acc = 0;
            int jStart = Math.max(0, -k), jEnd = Math.min(taps, x.length - k);
            for (int j = jStart; j < jEnd; j++) acc += h[j] * x[k + j];
            y[n] = (float) acc;
        }
        return y;
    }

    private static double sinc(double x) {
        if (x == 0) return 1;
        double px = Math.PI * x;
        return Math.sin(px) / px;
    }

    /** Modified Bessel function of the first kind, order 0 (power series). */
    static double besselI0(double x) {
        double sum = 1, term = 1, q = x * x / 4;
        for (int k = 1; k < 60; k++) {
            term *= q / ((double) k * k);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        return sum;
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
