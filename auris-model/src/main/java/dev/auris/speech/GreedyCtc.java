package dev.auris.speech;

import java.util.Arrays;

/**
 * Greedy CTC collapse that can be fed frame labels in pieces: repeats merged, blanks dropped, as LLaMA-Omni's
 * {@code ctc_postprocess} ({@code generation.py}) does on the whole sequence. The last frame label is carried
 * across pieces, so a unit split over a chunk boundary is emitted once and a blank between two equal labels
 * still separates them.
 */
public final class GreedyCtc {
    private final long blank;
    private long last = Long.MIN_VALUE; // label of the previous frame (none yet)

    public GreedyCtc(long blank) { this.blank = blank; }

    /** The units these frame labels add to the sequence. */
    public long[] push(long[] frames) {
        long[] out = new long[frames.length];
        int n = 0;
        for (long f : frames) {
            if (f != blank && f != last) out[n++] = f;
            last = f;
        }
        return Arrays.copyOf(out, n);
    }
}
