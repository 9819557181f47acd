package dev.auris.serve;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.auris.audio.Resampler;
import dev.auris.sample.SamplingOptions;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * Realtime client events of arbitrary bytes, one a line, parsed as {@code /v1/realtime} parses a text frame
 * ({@link RealtimeClientEvent}) and acted on as far as a connection does without the model: a session.update's
 * turn detection builds the VAD, its sampling settings a {@link SamplingOptions}, appended audio is resampled and
 * fed to that VAD. Each event is accepted with values in range, or refused with an {@link ApiError} 400 that has a
 * message (the client's {@code error} event); anything else is a finding. Seeds: {@code RealtimeEventFuzzTestInputs/}
 * (README's events, a client session of ServeRealtimeTest). {@code JAZZER_FUZZ=1}: docs/FUZZING.md.
 */
class RealtimeEventFuzzTest {
    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void realtimeEvents(byte[] input) {
        double threshold = 0.5, thresholdDb = 12, temperature = 0.8;
        int silenceMs = 500, maxTokens = ChatTurns.UNBOUNDED;
        Vad vad = RealtimeConnection.newVad(threshold, thresholdDb, silenceMs);
        for (String line : new String(input, StandardCharsets.UTF_8).split("\n", 16)) {
            RealtimeClientEvent e;
            try {
                e = RealtimeClientEvent.parse(line);
            } catch (ApiError err) {
                if (err.status() != 400 || err.getMessage() == null || err.getMessage().isBlank()) throw new AssertionError("not a 400 with a message: " + err.status(), err);
                continue;
            }
            switch (e) {
                case RealtimeClientEvent.SessionUpdate u -> {
                    if (u.temperature() != null) temperature = u.temperature();
                    if (u.maxOutputTokens() != null) maxTokens = u.maxOutputTokens();
                    new SamplingOptions(temperature, 0, 1, 0, 1, 7, maxTokens, Set.of(), List.of()); // what response.create builds
                    var td = u.turnDetection();
                    if (td != null) {
                        double th = td.threshold() != null ? td.threshold() : threshold, db = td.thresholdDb() != null ? td.thresholdDb() : thresholdDb;
                        int ms = td.silenceMs() != null ? td.silenceMs() : silenceMs;
                        try {
                            vad = RealtimeConnection.newVad(th, db, ms);
                            threshold = th;
                            thresholdDb = db;
                            silenceMs = ms;
                        } catch (IllegalArgumentException refused) { // the connection's 400 invalid_value
                            if (refused.getMessage() == null || refused.getMessage().isBlank()) throw new AssertionError("a VAD refusal without a message", refused);
                        }
                    }
                }
                case RealtimeClientEvent.Append a -> {
                    if (a.pcm16().length % 2 != 0) throw new AssertionError("odd pcm16 accepted: " + a.pcm16().length + " bytes");
                    float[] x = new float[a.pcm16().length / 2];
                    for (int i = 0; i < x.length; i++) x[i] = (short) ((a.pcm16()[2 * i] & 0xFF) | (a.pcm16()[2 * i + 1] << 8)) / 32768f;
                    vad.feed(Resampler.resample(x, RealtimeConnection.INPUT_RATE, Vad.RATE));
                }
                case RealtimeClientEvent.CreateItem i -> {
                    if (i.text().isEmpty()) throw new AssertionError("an empty item accepted");
                }
                case RealtimeClientEvent.Truncate t -> {
                    if (t.audioEndMs() < 0 || t.contentIndex() < 0 || t.itemId() == null) throw new AssertionError("truncate out of range accepted: " + t);
                }
                default -> { }
            }
        }
    }
}
