package dev.auris.serve;

import java.time.Duration;

/**
 * How {@code auris serve} runs.
 *
 * @param host           interface to bind; loopback by default, so nothing is exposed unless asked
 * @param port           0 picks a free port (tests)
 * @param apiKey         when non-null, every {@code /v1} request needs {@code Authorization: Bearer KEY}
 * @param maxSessions    requests in flight at once (each hears and prefills on its own inference thread; their text
 *                       answers decode together in one batch, so this is also the batch's width)
 * @param maxQueue       requests waiting for a session; beyond it 429 with Retry-After
 * @param requestTimeout from arrival to the last token, queue wait included
 * @param maxBodyBytes   request body limit (OpenAI's is 25 MB)
 * @param maxAudioSeconds longest clip accepted (the encoder's positions bound it: 30 s for models/tiny)
 * @param heardBytes     what the chat completions keep of the clips they heard, keyed by the audio itself, so a
 *                       client that sends its conversation again hears only the new clip (0: nothing kept)
 */
public record ServeConfig(String host, int port, String apiKey, int maxSessions, int maxQueue, Duration requestTimeout,
                          long maxBodyBytes, double maxAudioSeconds, long heardBytes) {
    /** What the chat completions keep of heard clips unless told: 64 MB (models/tiny: 4 bytes a heard token). */
    public static final long HEARD_BYTES = 64L << 20;

    public static final long OPENAI_BODY_LIMIT = 25L * 1024 * 1024;

    public ServeConfig {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("--host must name an interface, e.g. 127.0.0.1 (or 0.0.0.0 for all)");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in [0, 65535] (0 = any free port), got " + port);
        if (apiKey != null && apiKey.isBlank()) throw new IllegalArgumentException("--api-key is empty: give a key, or leave the option out to serve without one");
        if (maxSessions < 1) throw new IllegalArgumentException("--max-sessions must be ≥ 1, got " + maxSessions);
        if (maxQueue < 0) throw new IllegalArgumentException("--max-queue must be ≥ 0, got " + maxQueue);
        if (requestTimeout.isNegative() || requestTimeout.isZero()) throw new IllegalArgumentException("--timeout must be positive, got " + requestTimeout);
        if (maxBodyBytes < 1024) throw new IllegalArgumentException("body limit must be at least 1 KB, got " + maxBodyBytes);
        if (maxAudioSeconds <= 0) throw new IllegalArgumentException("--max-audio-seconds must be positive, got " + maxAudioSeconds);
        if (heardBytes < 0) throw new IllegalArgumentException("--heard-cache-mb must be ≥ 0 (0 = keep nothing), got " + heardBytes / (1 << 20));
    }

    /**
     * Loopback, port 8080, no key, 8 sessions (decoding in one batch: on 2 cores, 4–16 answers in a batch give 3–5×
     * the tokens/s of one; see LoadBench), 32 queued, 120 s, 25 MB, 30 s of audio, 64 MB of heard clips.
     */
    public static ServeConfig defaults() {
        return new ServeConfig("127.0.0.1", 8080, null, 8, 32, Duration.ofSeconds(120), OPENAI_BODY_LIMIT, 30, HEARD_BYTES);
    }

    public ServeConfig withPort(int p) { return new ServeConfig(host, p, apiKey, maxSessions, maxQueue, requestTimeout, maxBodyBytes, maxAudioSeconds, heardBytes); }

    public ServeConfig withApiKey(String k) { return new ServeConfig(host, port, k, maxSessions, maxQueue, requestTimeout, maxBodyBytes, maxAudioSeconds, heardBytes); }

    public ServeConfig withHeardBytes(long b) { return new ServeConfig(host, port, apiKey, maxSessions, maxQueue, requestTimeout, maxBodyBytes, maxAudioSeconds, b); }

    public ServeConfig withLimits(int sessions, int queue, Duration timeout) {
        return new ServeConfig(host, port, apiKey, sessions, queue, timeout, maxBodyBytes, maxAudioSeconds, heardBytes);
    }
}
