package dev.auris.features;

/**
 * Slaney-style mel filter bank as librosa builds it ({@code librosa.filters.mel(sr, n_fft, n_mels)},
 * the defaults openai/whisper used to make {@code mel_filters.npz}): triangles between mel points
 * spaced on the Slaney scale (linear below 1 kHz, logarithmic above), area-normalised.
 */
public final class MelFilters {
    private static final double F_SP = 200.0 / 3;            // Hz per mel below 1 kHz
    private static final double MIN_LOG_HZ = 1000.0;
    private static final double MIN_LOG_MEL = MIN_LOG_HZ / F_SP; // 15
    private static final double LOG_STEP = Math.log(6.4) / 27.0;

    private MelFilters() {}

    /** Filters [nMels, nFft/2 + 1], row-major. */
    public static float[] slaney(int sampleRate, int nFft, int nMels) {
        int bins = nFft / 2 + 1;
        double[] fftFreqs = new double[bins];
        for (int i = 0; i < bins; i++) fftFreqs[i] = (double) i * sampleRate / nFft;
        double melMin = hzToMel(0), melMax = hzToMel(sampleRate / 2.0);
        double[] melF = new double[nMels + 2];
        for (int i = 0; i < nMels + 2; i++) melF[i] = melToHz(melMin + (melMax - melMin) * i / (nMels + 1));
        float[] w = new float[nMels * bins];
        for (int m = 0; m < nMels; m++) {
            double lowDiff = melF[m + 1] - melF[m], highDiff = melF[m + 2] - melF[m + 1];
            double enorm = 2.0 / (melF[m + 2] - melF[m]);
            for (int k = 0; k < bins; k++) {
                double lower = (fftFreqs[k] - melF[m]) / lowDiff;
                double upper = (melF[m + 2] - fftFreqs[k]) / highDiff;
                w[m * bins + k] = (float) (Math.max(0, Math.min(lower, upper)) * enorm);
            }
        }
        return w;
    }

    static double hzToMel(double f) {
        return f >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(f / MIN_LOG_HZ) / LOG_STEP : f / F_SP;
    }

    static double melToHz(double m) {
        return m >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (m - MIN_LOG_MEL)) : F_SP * m;
    }
}
