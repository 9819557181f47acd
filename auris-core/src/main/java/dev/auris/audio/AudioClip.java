package dev.auris.audio;

/**
 * Mono audio as float samples in [-1, 1] at {@code sampleRate} Hz. Everything downstream of
 * {@link Audio#load} works on 16 kHz clips ({@link #SAMPLE_RATE}), as Whisper does.
 */
public record AudioClip(float[] samples, int sampleRate) {
    public static final int SAMPLE_RATE = 16_000;
    /** The highest sample rate taken (DXD's 768 kHz): past it a resampling filter's length is the input's claim. */
    public static final int MAX_RATE = 768_000;

    public AudioClip {
        if (sampleRate <= 0) throw new IllegalArgumentException("sample rate must be positive, got " + sampleRate);
        if (sampleRate > MAX_RATE) throw new IllegalArgumentException("sample rate " + sampleRate + " Hz is beyond " + MAX_RATE / 1000 + " kHz, the highest audio is recorded at");
    }

    public double seconds() { return samples.length / (double) sampleRate; }

    /** This clip at {@code rate} Hz (band-limited resampling; the same clip if already there). */
    public AudioClip resample(int rate) {
        return rate == sampleRate ? this : new AudioClip(Resampler.resample(samples, sampleRate, rate), rate);
    }
}
