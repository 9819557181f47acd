package dev.auris.serve;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * A chat completions request body of arbitrary bytes, parsed as the endpoint parses it (JSON → request →
 * turns, base64 audio decoded, sampling options): turns, or an {@link ApiError} 400 that names the field.
 * Anything else (a 500, an unchecked exception, a crash) is a finding. Seeds: {@code ChatRequestFuzzTestInputs/}
 * (README's requests, a small base64 WAV). {@code JAZZER_FUZZ=1}: docs/FUZZING.md.
 */
class ChatRequestFuzzTest {
    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void chatRequest(byte[] body) {
        try {
            ChatRequest r = Json.read(body, ChatRequest.class);
            ChatTurns.of(r, 30);
        } catch (ApiError e) {
            if (e.status() != 400 || e.getMessage() == null || e.getMessage().isBlank()) throw new AssertionError("not a 400 with a message: " + e.status(), e);
        }
    }
}
