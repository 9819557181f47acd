package dev.auris.serve;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What {@code /v1/realtime} sends, under OpenAI Realtime's event names. A text answer streams as
 * {@code response.output_text.delta}; a spoken one (a model with a voice, output_modalities ["audio"]) as
 * {@code response.output_audio.delta} (base64 pcm16, 24 kHz mono) and {@code response.output_audio_transcript.delta}.
 */
sealed interface RealtimeEvent {
    AtomicLong IDS = new AtomicLong();

    @JsonProperty("type")
    String type();

    @JsonProperty("event_id")
    default String eventId() { return "event_" + IDS.incrementAndGet(); }

    /** {@code output_modalities} ["audio"] (a model with a voice, by default) or ["text"]; audio out is pcm16 at {@code output_sample_rate}. */
    record Session(String id, String object, String model, List<String> outputModalities, String instructions, TurnDetection turnDetection,
                   String inputAudioFormat, int inputSampleRate, String outputAudioFormat, Integer outputSampleRate) {}

    /** {@code detector}: silero-v5, or energy when ONNX Runtime cannot run; {@code threshold} is Silero's, {@code threshold_db} the energy detector's. */
    record TurnDetection(String type, String detector, double threshold, double thresholdDb, int silenceDurationMs, boolean createResponse, boolean interruptResponse) {}

    record Item(String id, String type, String role, String status, List<Content> content) {}

    record Content(String type, String text, String transcript) {}

    record Usage(int inputTokens, int outputTokens, int totalTokens) {}

    record Response(String id, String object, String status, List<Item> output, Usage usage) {}

    record ErrorDetail(String type, String code, String message, String param, String eventId) {}

    record SessionCreated(Session session) implements RealtimeEvent { public String type() { return "session.created"; } }

    record SessionUpdated(Session session) implements RealtimeEvent { public String type() { return "session.updated"; } }

    record SpeechStarted(long audioStartMs, String itemId) implements RealtimeEvent { public String type() { return "input_audio_buffer.speech_started"; } }

    record SpeechStopped(long audioEndMs, String itemId) implements RealtimeEvent { public String type() { return "input_audio_buffer.speech_stopped"; } }

    record Committed(String previousItemId, String itemId) implements RealtimeEvent { public String type() { return "input_audio_buffer.committed"; } }

    record Cleared() implements RealtimeEvent { public String type() { return "input_audio_buffer.cleared"; } }

    record ItemCreated(String previousItemId, Item item) implements RealtimeEvent { public String type() { return "conversation.item.created"; } }

    /** What was heard in a user's audio item; sent after the answer's text (see RealtimeResponse). */
    record TranscriptionCompleted(String itemId, int contentIndex, String transcript) implements RealtimeEvent {
        public String type() { return "conversation.item.input_audio_transcription.completed"; }
    }

    record ResponseCreated(Response response) implements RealtimeEvent { public String type() { return "response.created"; } }

    record TextDelta(String responseId, String itemId, int outputIndex, int contentIndex, String delta) implements RealtimeEvent {
        public String type() { return "response.output_text.delta"; }
    }

    record TextDone(String responseId, String itemId, int outputIndex, int contentIndex, String text) implements RealtimeEvent {
        public String type() { return "response.output_text.done"; }
    }

    record AudioDelta(String responseId, String itemId, int outputIndex, int contentIndex, String delta) implements RealtimeEvent {
        public String type() { return "response.output_audio.delta"; }
    }

    record AudioDone(String responseId, String itemId, int outputIndex, int contentIndex) implements RealtimeEvent {
        public String type() { return "response.output_audio.done"; }
    }

    record TranscriptDelta(String responseId, String itemId, int outputIndex, int contentIndex, String delta) implements RealtimeEvent {
        public String type() { return "response.output_audio_transcript.delta"; }
    }

    record TranscriptDone(String responseId, String itemId, int outputIndex, int contentIndex, String transcript) implements RealtimeEvent {
        public String type() { return "response.output_audio_transcript.done"; }
    }

    /** The answer's audio was cut where the client's playback stopped; its transcript in the conversation is cut to match. */
    record ItemTruncated(String itemId, int contentIndex, long audioEndMs) implements RealtimeEvent {
        public String type() { return "conversation.item.truncated"; }
    }

    /** {@code status}: completed, cancelled (response.cancel, barge-in, client gone) or failed. */
    record ResponseDone(Response response) implements RealtimeEvent { public String type() { return "response.done"; } }

    record Error(ErrorDetail error) implements RealtimeEvent { public String type() { return "error"; } }

    static Error error(String code, String message, String eventId) {
        return new Error(new ErrorDetail("invalid_request_error", code, message, null, eventId));
    }
}
