package dev.auris.serve;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;

/**
 * What a {@code /v1/realtime} client sends, parsed and checked before the connection acts on it: every value
 * that reaches a VAD, the sampler or the audio buffer is of the right type and range here, or the event is
 * refused with an {@link ApiError} 400 naming the field (sent back as an {@code error} event).
 */
sealed interface RealtimeClientEvent {
    /** Longest silence_duration_ms taken: ten minutes (a VAD counts it in windows of int samples). */
    int MAX_SILENCE_MS = 600_000;

    /**
     * {@code session.update}; a null field was not in the event. {@code instructions} is set (possibly to null)
     * when {@code setInstructions}; {@code turnDetection} null with {@code setTurnDetection} is manual commits.
     */
    record SessionUpdate(boolean setInstructions, String instructions, Double temperature, Integer maxOutputTokens, Boolean speak,
                         Boolean transcribeInput, boolean setTurnDetection, TurnDetection turnDetection) implements RealtimeClientEvent {}

    /** {@code turn_detection} of a session.update (server VAD); a null field keeps the session's value. */
    record TurnDetection(Integer silenceMs, Double threshold, Double thresholdDb, Boolean createResponse, Boolean interruptResponse) {}

    /** {@code input_audio_buffer.append}: pcm16 little-endian mono at 24 kHz, an even number of bytes. */
    record Append(byte[] pcm16) implements RealtimeClientEvent {}

    record Commit() implements RealtimeClientEvent {}

    record Clear() implements RealtimeClientEvent {}

    /** {@code conversation.item.create}: a user message's input_text parts, joined (never empty). */
    record CreateItem(String text) implements RealtimeClientEvent {}

    record CreateResponse() implements RealtimeClientEvent {}

    record CancelResponse() implements RealtimeClientEvent {}

    /** {@code conversation.item.truncate}: the spoken answer {@code itemId} was heard up to {@code audioEndMs}. */
    record Truncate(String itemId, int contentIndex, long audioEndMs) implements RealtimeClientEvent {}

    /** The event's JSON, or a 400 {@code invalid_json}. */
    static JsonNode tree(String text) {
        JsonNode e;
        try {
            e = Json.MAPPER.readTree(text);
        } catch (IOException ex) {
            String first = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage().lines().findFirst().orElse("");
            throw ApiError.invalid("the event is not valid JSON: " + first, null, "invalid_json");
        }
        if (e == null || !e.isObject()) throw ApiError.invalid("an event is a JSON object with a \"type\"", null, "invalid_json");
        return e;
    }

    /** Parses one text frame: {@link #tree} then {@link #of}. */
    static RealtimeClientEvent parse(String text) { return of(tree(text)); }

    static RealtimeClientEvent of(JsonNode e) {
        String type = e.path("type").isTextual() ? e.path("type").asText() : "";
        return switch (type) {
            case "session.update" -> RealtimeEventFields.sessionUpdate(e.path("session"));
            case "input_audio_buffer.append" -> {
                JsonNode audio = e.path("audio");
                if (!audio.isTextual()) throw ApiError.invalid("audio must be a base64 string of pcm16 audio", "audio", "invalid_type");
                byte[] pcm16 = AudioInput.base64(audio.asText(), "audio");
                if (pcm16.length % 2 != 0) throw ApiError.invalid("audio must be pcm16: an even number of bytes, got " + pcm16.length, "audio", "invalid_audio");
                yield new Append(pcm16);
            }
            case "input_audio_buffer.commit" -> new Commit();
            case "input_audio_buffer.clear" -> new Clear();
            case "conversation.item.create" -> RealtimeEventFields.createItem(e.path("item"));
            case "response.create" -> new CreateResponse();
            case "response.cancel" -> new CancelResponse();
            case "conversation.item.truncate" -> RealtimeEventFields.truncate(e);
            default -> throw ApiError.invalid("unknown event type '" + RealtimeEventFields.shorten(e.path("type").asText("")) + "': this server takes session.update, "
                    + "input_audio_buffer.append / commit / clear, conversation.item.create, conversation.item.truncate, response.create, response.cancel", "type", "unknown_event");
        };
    }
}
