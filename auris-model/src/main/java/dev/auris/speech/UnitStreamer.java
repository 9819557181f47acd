package dev.auris.speech;

import java.util.Arrays;

/**
 * Vocodes a stream of units every Ω units so that the concatenated chunks equal the audio of vocoding all
 * the units at once (within float round-off). Two things reach across a chunk boundary, and both are
 * handled by waiting for real context rather than padding: a unit's duration depends on
 * {@link Vocoder#unitContext} units on each side, so durations are fixed only for units that many behind
 * the newest; and a frame's samples depend on {@link Vocoder#frameContext} frames on each side, so each
 * chunk is synthesized over a window with that many frames of real context before and after, and only the
 * samples of frames whose whole receptive field lies inside are kept. The zero padding the generator sees
 * at a window edge then only ever touches samples that are cropped — except at the true start and, on
 * {@link #finish}, the true end, where the whole-utterance vocoding pads the same way. The cost is latency:
 * a chunk trails the newest unit by the unit context plus the frame context.
 *
 * <p>{@code var s = new UnitStreamer(vocoder, 20); for (long[] u : unitsAsTheyCome) play(s.push(u)); play(s.finish());}
 */
public final class UnitStreamer {
    static final int QUANTUM = 16;

    private final Vocoder vocoder;
    private final int omega;
    private long[] units = new long[64];
    private int n;                        // units received
    private long[] frames = new long[256];
    private int fixedUnits, f;           // units whose durations are fixed; their frames
    private int emittedFrames, pending;
    private long samples;

    public UnitStreamer(Vocoder vocoder, int omega) {
        if (omega < 1) throw new IllegalArgumentException("Ω (units per vocoder call) must be ≥ 1, got " + omega);
        this.vocoder = vocoder;
        this.omega = omega;
    }

    /** Adds units; once Ω have come since the last call to the vocoder, the audio that is now final (possibly empty). */
    public float[] push(long[] more) {
        if (n + more.length > units.length) units = Arrays.copyOf(units, Math.max(2 * units.length, n + more.length));
        System.arraycopy(more, 0, units, n, more.length);
        n += more.length;
        pending += more.length;
        if (pending < omega) return new float[0];
        pending = 0;
        return vocode(false);
    }

    /** The end of the utterance: the rest of the audio. */
    public float[] finish() {
        pending = 0;
        return vocode(true);
    }

    /** Samples emitted so far. */
    public long samples() { return samples; }

    private float[] vocode(boolean last) {
        int ctx = vocoder.unitContext(), limit = last ? n : n - ctx;
        if (limit > fixedUnits) {                                     // fix durations with real context on both sides
            int a = Math.max(0, fixedUnits - ctx), b = Math.min(n, limit + ctx);
            int[] d = vocoder.durations(Arrays.copyOfRange(units, a, b));
            for (int i = fixedUnits; i < limit; i++) {
                if (f + d[i - a] > frames.length) frames = Arrays.copyOf(frames, Math.max(2 * frames.length, f + d[i - a]));
                Arrays.fill(frames, f, f + d[i - a], units[i]);
                f += d[i - a];
            }
            fixedUnits = limit;
        }
        int c = vocoder.frameContext(), h = vocoder.samplesPerFrame();
        int exact = last ? f : f - c;
        if (exact <= emittedFrames) return new float[0];
        int w0 = Math.max(0, emittedFrames - c), w1 = Math.min(f, exact + c);
        // Window lengths rounded up to a multiple of QUANTUM with more real context (left first, then right):
        // the convolutions then see a few shapes, and libtorch reuses their kernels instead of re-creating them
        int want = Math.min(f, (w1 - w0 + QUANTUM - 1) / QUANTUM * QUANTUM);
        w0 = Math.max(0, w1 - want);
        w1 = Math.min(f, w0 + want);
        float[] wav = vocoder.synthesize(Arrays.copyOfRange(frames, w0, w1));  // [(w1 − w0)·H]
        float[] out = Arrays.copyOfRange(wav, (emittedFrames - w0) * h, (exact - w0) * h);
        emittedFrames = exact;
        samples += out.length;
        return out;
    }
}
