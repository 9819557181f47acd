package dev.auris.serve;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * The body of {@code POST /v1/chat/completions}, as OpenAI defines it (the fields Auris reads; others are
 * ignored). {@code content} is a string or a list of parts, kept as JSON and read by {@link ChatTurns}.
 *
 * @param modalities {@code ["text"]} or {@code ["text", "audio"]}; audio output waits for the speech decoder
 * @param audio      the requested voice and format when audio output is asked for
 */
public record ChatRequest(String model, List<Message> messages, Double temperature, Double topP, Integer maxTokens,
                          Integer maxCompletionTokens, Long seed, JsonNode stop, Boolean stream, StreamOptions streamOptions,
                          List<String> modalities, AudioRequest audio, Integer n) {
    public record Message(String role, JsonNode content) {}

    public record StreamOptions(Boolean includeUsage) {}

    public record AudioRequest(String voice, String format) {}

    boolean streaming() { return Boolean.TRUE.equals(stream); }

    boolean includeUsage() { return streamOptions != null && Boolean.TRUE.equals(streamOptions.includeUsage()); }

    boolean wantsAudio() {
        return (modalities != null && modalities.contains("audio")) || audio != null;
    }
}
