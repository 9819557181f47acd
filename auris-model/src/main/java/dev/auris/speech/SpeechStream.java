package dev.auris.speech;

import org.bytedeco.pytorch.Tensor;

/**
 * One answer spoken as it is written: the hidden state of each new answer token goes through the
 * {@link IncrementalDecoder}; the units it completes go to a {@link UnitStreamer}, which vocodes every Ω
 * units. Keeps the vocoder's time and the audio produced, for the real-time factor.
 */
public final class SpeechStream implements AutoCloseable {
    /** What one step added: units, and audio samples (either may be empty). */
    public record Step(long[] units, float[] audio) {}

    private final IncrementalDecoder decoder;
    private final UnitStreamer streamer;
    private final int sampleRate;
    private long vocoderNanos, samples;

    SpeechStream(SpeechHead head) {
        this.decoder = head.decoder().incremental();
        this.streamer = new UnitStreamer(head.vocoder(), head.omega());
        this.sampleRate = head.vocoder().sampleRate();
    }

    /** The hidden states [n, D] of the next answer tokens. */
    public Step push(Tensor states) {
        long[] units = decoder.push(states);
        return new Step(units, units.length == 0 ? new float[0] : vocode(() -> streamer.push(units)));
    }

    /** The end of the answer: the rest of the audio. */
    public Step finish() {
        return new Step(new long[0], vocode(streamer::finish));
    }

    private float[] vocode(java.util.function.Supplier<float[]> call) {
        long t0 = System.nanoTime();
        float[] a = call.get();
        vocoderNanos += System.nanoTime() - t0;
        samples += a.length;
        return a;
    }

    public int sampleRate() { return sampleRate; }

    /** Vocoder time / audio time so far (NaN before any audio). */
    public double realTimeFactor() {
        return samples == 0 ? Double.NaN : (vocoderNanos / 1e9) / ((double) samples / sampleRate);
    }

    @Override
    public void close() { decoder.close(); }
}
