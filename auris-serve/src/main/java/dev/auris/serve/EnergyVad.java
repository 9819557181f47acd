package dev.auris.serve;

import java.util.ArrayList;
import java.util.List;

/**
 * End of speech by short-time energy: the documented fallback for OpenAI's {@code server_vad} when
 * {@link SileroVad} cannot run (ONNX Runtime's natives do not load). Frames of 20 ms; a frame is speech when its RMS
 * is {@code marginDb} above the tracked noise floor and above an absolute floor of -50 dBFS; speech starts
 * after 60 ms of speech frames, pauses after {@link Vad#pauseMs} without one and stops after {@code silenceMs}. It hears loud noise as speech
 * and misses whispers in noise: that is what a learned VAD fixes.
 */
final class EnergyVad implements Vad {
    private static final double ABSOLUTE_FLOOR_DB = -50, START_MS = 60;

    private final double marginDb;
    private final int silenceMs;
    private final float[] pending;
    private int filled;
    private long frames;
    private double noiseDb = -60;
    private boolean speaking, paused;
    private int speechRun, silenceRun;

    /** @param rate the samples' rate (frames are 20 ms at any rate) */
    EnergyVad(int rate, double marginDb, int silenceMs) {
        this.pending = new float[rate / 50];
        if (silenceMs < 20) throw new IllegalArgumentException("silence_duration_ms must be at least 20, got " + silenceMs);
        this.marginDb = marginDb;
        this.silenceMs = silenceMs;
    }

    @Override
    public String name() { return "energy"; }

    @Override
    public List<Change> feed(float[] samples) {
        List<Change> out = new ArrayList<>();
        for (float s : samples) {
            pending[filled++] = s;
            if (filled == pending.length) {
                frame(out);
                filled = 0;
            }
        }
        return out;
    }

    private void frame(List<Change> out) {
        double sum = 0;
        for (float s : pending) sum += s * s;
        double db = 10 * Math.log10(sum / pending.length + 1e-12);
        boolean voiced = db > ABSOLUTE_FLOOR_DB && db > noiseDb + marginDb;
        // the floor follows quiet frames quickly and loud ones slowly, so speech does not raise it much
        noiseDb = voiced ? noiseDb + 0.01 * (db - noiseDb) : noiseDb + 0.2 * (db - noiseDb);
        frames++;
        long ms = frames * 20;
        if (voiced) {
            speechRun++;
            silenceRun = 0;
            paused = false;
            if (!speaking && speechRun * 20 >= START_MS) {
                speaking = true;
                out.add(new Started(ms - speechRun * 20L));
            }
        } else {
            speechRun = 0;
            silenceRun++;
            if (speaking && !paused && silenceRun * 20 >= Vad.pauseMs(silenceMs)) {
                paused = true;
                out.add(new Paused(ms - silenceRun * 20L));
            }
            if (speaking && silenceRun * 20 >= silenceMs) {
                speaking = false;
                out.add(new Stopped(ms - silenceRun * 20L));
            }
        }
    }

    @Override
    public void reset() {
        filled = 0;
        speaking = paused = false;
        speechRun = silenceRun = 0;
    }
}
