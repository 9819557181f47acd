package dev.auris.serve;

import java.util.List;

/**
 * Where speech starts and stops in a 16 kHz stream fed in pieces of any size: the end-of-turn signal of
 * {@code /v1/realtime}'s {@code server_vad}. {@link SileroVad} is the detector; {@link EnergyVad} the fallback
 * when ONNX Runtime cannot load.
 */
sealed interface Vad permits SileroVad, EnergyVad {
    /** What the detector saw, at a time in ms from the start of the stream. */
    sealed interface Change permits Started, Paused, Stopped {}

    record Started(long ms) implements Change {}

    /**
     * Speech has been quiet since {@code ms} for {@link #pauseMs} of the {@code silenceMs} that end a turn: the turn
     * may be ending. A {@link Stopped} with the same {@code ms} follows unless speech comes back first (then a
     * later pause has a later {@code ms}). What a server hears ahead while it waits to be sure.
     */
    record Paused(long ms) implements Change {}

    record Stopped(long ms) implements Change {}

    int RATE = 16_000;

    /** How long a silence lasts before it is a {@link Paused}: 200 ms, or half the silence that ends a turn when that is shorter. */
    static int pauseMs(int silenceMs) { return Math.min(200, silenceMs / 2); }

    /** Feeds samples; returns the starts, pauses and stops they complete. */
    List<Change> feed(float[] samples);

    void reset();

    /** The name the session reports (turn_detection.detector). */
    String name();
}
