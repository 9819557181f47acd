package dev.auris.serve;

import java.util.List;

/**
 * Where speech starts and stops in a 16 kHz stream fed in pieces of any size: the end-of-turn signal of
 * {@code /v1/realtime}'s {@code server_vad}. {@link SileroVad} is the detector; {@link EnergyVad} the fallback
 * when ONNX Runtime cannot load.
 */
sealed interface Vad permits SileroVad, EnergyVad {
    /** What the detector saw, at a time in ms from the start of the stream. */
    sealed interface Change permits Started, Stopped {}

    record Started(long ms) implements Change {}

    record Stopped(long ms) implements Change {}

    int RATE = 16_000;

    /** Feeds samples; returns the starts and stops they complete. */
    List<Change> feed(float[] samples);

    void reset();

    /** The name the session reports (turn_detection.detector). */
    String name();
}
