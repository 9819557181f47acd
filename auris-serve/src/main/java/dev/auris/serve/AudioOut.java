package dev.auris.serve;

import dev.auris.audio.Resampler;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A spoken answer's audio on its way out: the vocoder's chunks (at its own rate) resampled to 24 kHz mono,
 * OpenAI's output rate, as pcm16 little-endian. Streaming: each push returns the output samples whose filter
 * window the input already covers, {@link #finish} the rest, so the chunks concatenate to exactly the
 * {@link Resampler} output of the whole answer (each output sample is the same sum over the same inputs).
 *
 * <p>Shapes: S input samples at the vocoder's rate, S' output samples at 24 kHz.
 */
final class AudioOut {
    static final int RATE = 24_000;

    private final int from, up, down, margin; // output n sits at input time n·down/up; margin ≥ the sinc filter's half-width
    private float[] in = new float[4096];
    private int length;                        // input samples so far
    private long emitted;                      // output samples sent
    private final ByteArrayOutputStream all;   // every pcm16 byte, when the whole answer is wanted

    AudioOut(int fromRate, boolean keepAll) {
        this.from = fromRate;
        int g = gcd(fromRate, RATE);
        this.up = RATE / g;
        this.down = fromRate / g;
        this.margin = (int) Math.ceil(33.0 * Math.max(1.0, (double) fromRate / RATE)) + 2; // 32 zero crossings / 0.97 roll-off
        this.all = keepAll ? new ByteArrayOutputStream() : null;
    }

    /** The next pcm16 bytes for {@code samples} [S] (possibly none yet). */
    byte[] push(float[] samples) {
        if (length + samples.length > in.length) in = Arrays.copyOf(in, Math.max(in.length * 2, length + samples.length));
        System.arraycopy(samples, 0, in, length, samples.length);
        length += samples.length;
        if (from == RATE) return emit(Arrays.copyOfRange(in, (int) emitted, length), length);
        long ready = Math.max(emitted, (long) Math.floor((double) (length - margin) * up / down)); // outputs with their whole window in
        return ready > emitted ? resampleUpTo(ready) : new byte[0];
    }

    /** The rest of the answer's audio. */
    byte[] finish() {
        if (from == RATE) return new byte[0];
        return resampleUpTo((long) Math.ceil(length * (double) up / down));
    }

    /** Every pcm16 byte sent (keepAll). */
    byte[] pcm16() { return all.toByteArray(); }

    private byte[] resampleUpTo(long end) {
        // a segment starting at an input index s with s·up/down whole, far enough left for the first output's window
        long firstIn = Math.max(0, (long) Math.floor((double) emitted * down / up) - margin);
        long s = firstIn / down * down;
        long offset = s / down * up;                                                   // output index of the segment's sample 0
        float[] seg = Resampler.resample(Arrays.copyOfRange(in, (int) s, length), from, RATE); // [S'] from input s on
        float[] y = Arrays.copyOfRange(seg, (int) (emitted - offset), (int) Math.min(seg.length, end - offset));
        return emit(y, emitted + y.length);
    }

    private byte[] emit(float[] y, long newEmitted) {
        ByteBuffer b = ByteBuffer.allocate(y.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : y) b.putShort((short) Math.round(Math.max(-1f, Math.min(1f, v)) * 32767f));
        emitted = newEmitted;
        if (all != null) all.writeBytes(b.array());
        return b.array();
    }

    /** A WAV file (RIFF, PCM 16-bit mono, 24 kHz) around pcm16 bytes: message.audio's "wav" format. */
    static byte[] wav(byte[] pcm16) {
        ByteBuffer b = ByteBuffer.allocate(44 + pcm16.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + pcm16.length).put("WAVE".getBytes());
        b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1).putInt(RATE).putInt(RATE * 2).putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes()).putInt(pcm16.length).put(pcm16);
        return b.array();
    }

    private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }
}
