package dev.auris.audio;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Resampling contract to 16 kHz: a 1 kHz tone keeps its frequency (±1 Hz), level (±0.5 dB) and timing,
 * with no audible distortion or imaging; tones above the new Nyquist frequency (8 kHz) are removed
 * (≥ 60 dB down), not folded back into the band. Measured on the central part, away from the edges.
 */
class ResamplerTest {
    static final int OUT = 16000;

    static float[] tone(double freq, double amp, int rate, double seconds) {
        float[] x = new float[(int) Math.round(rate * seconds)];
        for (int i = 0; i < x.length; i++) x[i] = (float) (amp * Math.sin(2 * Math.PI * freq * i / rate));
        return x;
    }

    /** The central part [0.25 s, end − 0.25 s] of a 16 kHz signal. */
    static float[] centre(float[] y) {
        int edge = OUT / 4;
        return java.util.Arrays.copyOfRange(y, edge, y.length - edge);
    }

    static double rms(float[] x) {
        double s = 0;
        for (float v : x) s += (double) v * v;
        return Math.sqrt(s / x.length);
    }

    /** Frequency from upward zero crossings, located to a fraction of a sample by linear interpolation. */
    static double zeroCrossingFrequency(float[] y, int rate) {
        double first = -1, last = -1;
        int count = 0;
        for (int i = 1; i < y.length; i++) {
            if (y[i - 1] < 0 && y[i] >= 0) {
                double t = i - 1 + y[i - 1] / (double) (y[i - 1] - y[i]);
                if (first < 0) first = t;
                last = t;
                count++;
            }
        }
        assertTrue(count > 10, "only " + count + " zero crossings");
        return (count - 1) / ((last - first) / rate);
    }

    static double db(double ratio) {
        return 20 * Math.log10(ratio);
    }

    // 16001 and 596167 Hz: 16 000 phases, more than Resampler.MAX_PHASES, so their offsets are rounded (596167 Hz took
    // minutes to tabulate before: TranscriptionUploadFuzzTest's regression-hang-596167-hz-resampler-table)
    @ParameterizedTest(name = "{0} Hz -> 16 kHz")
    @ValueSource(ints = {44100, 48000, 8000, 22050, 11025, 16001, 596167})
    void oneKilohertzToneKeepsFrequencyLevelAndTiming(int rate) {
        float[] x = tone(1000, 0.5, rate, 2.0);
        float[] y = Resampler.resample(x, rate, OUT);
        assertEquals((long) Math.ceil(x.length * (double) OUT / rate), y.length, "output length");
        assertEquals(32000, y.length);
        float[] c = centre(y);

        double f = zeroCrossingFrequency(c, OUT);
        assertEquals(1000.0, f, 1.0, "frequency");

        double inRms = 0.5 / Math.sqrt(2);
        double gainDb = db(rms(c) / inRms);
        assertEquals(0.0, gainDb, 0.5, "level change in dB");

        // zero phase: output sample n is the tone at time n / 16000, so the residual is only filter error
        int edge = OUT / 4;
        double err = 0;
        for (int i = 0; i < c.length; i++) {
            double want = 0.5 * Math.sin(2 * Math.PI * 1000 * (i + edge) / OUT);
            err = Math.max(err, Math.abs(c[i] - want));
        }
        assertTrue(db(err / 0.5) < -60, rate + " Hz: max deviation from the ideal tone " + db(err / 0.5) + " dB");
    }

    @ParameterizedTest(name = "{0} Hz")
    @ValueSource(ints = {44100, 48000})
    void tonesAboveTheNewNyquistDoNotAlias(int rate) {
        for (double freq : new double[]{10000, 12000, 9000}) {
            float[] x = tone(freq, 0.5, rate, 2.0);
            float[] y = Resampler.resample(x, rate, OUT);
            double attenuation = db(rms(centre(y)) / rms(x));
            assertTrue(attenuation < -60, freq + " Hz at " + rate + " Hz comes out only " + attenuation + " dB down (aliases to " + (OUT - freq) + " Hz)");
        }
    }

    @Test
    void passbandIsFlatBelowTheCutoff() {
        // speech content up to 7 kHz survives 48 kHz -> 16 kHz within 0.5 dB
        for (double freq : new double[]{100, 3000, 6000, 7000}) {
            float[] y = Resampler.resample(tone(freq, 0.5, 48000, 2.0), 48000, OUT);
            assertEquals(0.0, db(rms(centre(y)) / (0.5 / Math.sqrt(2))), 0.5, freq + " Hz");
        }
    }

    @Test
    void identityAt16k() {
        float[] x = tone(1000, 0.5, OUT, 0.5);
        x[7] = 0.99f;
        float[] y = Resampler.resample(x, OUT, OUT);
        assertArrayEquals(x, y, 0f);
        assertNotSame(x, y, "a copy: the caller may modify either");
        AudioClip clip = new AudioClip(x, OUT);
        assertSame(clip, clip.resample(OUT));
    }

    @Test
    void dcAndEdgeCases() {
        float[] dc = new float[44100];
        java.util.Arrays.fill(dc, 0.25f);
        float[] y = Resampler.resample(dc, 44100, OUT);
        for (float v : centre(y)) assertEquals(0.25, v, 1e-4, "DC gain is 1");
        assertEquals(0, Resampler.resample(new float[0], 44100, OUT).length);
        var e = assertThrows(IllegalArgumentException.class, () -> Resampler.resample(dc, 0, OUT));
        assertTrue(e.getMessage().contains("positive"), e.getMessage());
    }
}
