package dev.auris.serve;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Silero VAD v5 (MIT; the ONNX file the npm package {@code @ricky0123/vad-web} ships, see vad/SOURCE.md) on
 * ONNX Runtime: a speech probability for every 512-sample window at 16 kHz (32 ms), each window fed with the
 * 64 samples before it and the recurrent state carried over, as silero-vad's {@code OnnxWrapper} does. The
 * decision is its {@code VADIterator}'s: speech starts at probability ≥ {@code threshold} and stops after
 * {@code silenceMs} below {@code threshold - 0.15} (a {@link Vad.Paused} after {@link Vad#pauseMs} of them). One ONNX session is shared (its run is thread-safe); each
 * stream keeps its own state.
 */
final class SileroVad implements Vad {
    static final int WINDOW = 512, CONTEXT = 64;
    private static volatile OrtSession shared;
    private static volatile String unavailable;

    private final OrtSession session;
    private final double threshold;
    private final int silenceMs;
    private final float[] input = new float[CONTEXT + WINDOW];  // [context | window]
    private int filled;                                        // samples of the window so far
    private float[] state = new float[2 * 128];                // [2, 1, 128]
    private long windows;
    private boolean speaking, paused;
    private long silentSince = -1;

    private SileroVad(OrtSession session, double threshold, int silenceMs) {
        if (threshold <= 0.15 || threshold >= 1) throw new IllegalArgumentException("threshold must be in (0.15, 1), got " + threshold);
        if (silenceMs < 32) throw new IllegalArgumentException("silence_duration_ms must be at least 32, got " + silenceMs);
        this.session = session;
        this.threshold = threshold;
        this.silenceMs = silenceMs;
    }

    /** A Silero stream, or null (and {@link #unavailable()} says why) when ONNX Runtime cannot run it here. */
    static SileroVad create(double threshold, int silenceMs) {
        OrtSession s = model();
        return s == null ? null : new SileroVad(s, threshold, silenceMs);
    }

    static String unavailable() { return unavailable; }

    private static OrtSession model() {
        if (shared != null || unavailable != null) return shared;
        synchronized (SileroVad.class) {
            if (shared != null || unavailable != null) return shared;
            try (InputStream in = SileroVad.class.getResourceAsStream("vad/silero_vad_v5.onnx")) {
                if (in == null) throw new IOException("vad/silero_vad_v5.onnx is not on the class path");
                var options = new OrtSession.SessionOptions();
                options.setIntraOpNumThreads(1); // 32 ms windows: one thread is plenty, and the cores are the LLM's
                options.setInterOpNumThreads(1);
                shared = OrtEnvironment.getEnvironment().createSession(in.readAllBytes(), options);
            } catch (IOException | OrtException | LinkageError e) {
                unavailable = e.toString();
            }
            return shared;
        }
    }

    @Override
    public String name() { return "silero-v5"; }

    @Override
    public List<Change> feed(float[] samples) {
        List<Change> out = new ArrayList<>();
        for (float x : samples) {
            input[CONTEXT + filled++] = x;
            if (filled == WINDOW) {
                window(probability(), out);
                System.arraycopy(input, WINDOW, input, 0, CONTEXT); // the window's last 64 samples are the next context
                filled = 0;
            }
        }
        return out;
    }

    private void window(double p, List<Change> out) {
        long startMs = windows * WINDOW * 1000L / RATE;
        windows++;
        if (p >= threshold) {
            silentSince = -1;
            paused = false;
            if (!speaking) {
                speaking = true;
                out.add(new Started(startMs));
            }
        } else if (speaking && p < threshold - 0.15) {
            if (silentSince < 0) silentSince = startMs;
            long quiet = startMs + WINDOW * 1000L / RATE - silentSince;
            if (!paused && quiet >= Vad.pauseMs(silenceMs)) {
                paused = true;
                out.add(new Paused(silentSince));
            }
            if (quiet >= silenceMs) {
                speaking = paused = false;
                out.add(new Stopped(silentSince));
                silentSince = -1;
            }
        }
    }

    /** The model's speech probability for the current window; the state moves on. */
    private double probability() {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[]{1, CONTEXT + WINDOW});
             OnnxTensor h = OnnxTensor.createTensor(env, FloatBuffer.wrap(state), new long[]{2, 1, 128});
             OnnxTensor sr = OnnxTensor.createTensor(env, (long) RATE);
             OrtSession.Result r = session.run(Map.of("input", x, "state", h, "sr", sr))) {
            float p = ((float[][]) r.get("output").orElseThrow().getValue())[0][0];
            FloatBuffer next = ((OnnxTensor) r.get("stateN").orElseThrow()).getFloatBuffer();
            next.get(state);
            return p;
        } catch (OrtException e) {
            throw new IllegalStateException("Silero VAD failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void reset() {
        java.util.Arrays.fill(input, 0);
        java.util.Arrays.fill(state, 0);
        filled = 0;
        speaking = paused = false;
        silentSince = -1;
    }
}
