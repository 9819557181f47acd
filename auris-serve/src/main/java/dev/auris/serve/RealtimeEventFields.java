package dev.auris.serve;

import com.fasterxml.jackson.databind.JsonNode;

/** The fields of the realtime client events that carry values, each checked for type and range ({@link RealtimeClientEvent}). */
final class RealtimeEventFields {
    private RealtimeEventFields() {}

    static RealtimeClientEvent.SessionUpdate sessionUpdate(JsonNode s) {
        if (!s.isMissingNode() && !s.isObject()) throw ApiError.invalid("session must be an object", "session", "invalid_type");
        boolean setInstructions = s.has("instructions");
        String instructions = null;
        if (setInstructions && !s.get("instructions").isNull()) {
            if (!s.get("instructions").isTextual()) throw ApiError.invalid("instructions must be a string or null", "session.instructions", "invalid_type");
            instructions = s.get("instructions").asText();
        }
        Double temperature = null;
        if (s.has("temperature")) {
            temperature = finite(s.get("temperature"), "session.temperature");
            if (temperature < 0 || temperature > 2) throw ApiError.invalid("temperature must be in [0, 2], got " + temperature, "session.temperature", "invalid_value");
        }
        String maxName = s.has("max_output_tokens") ? "max_output_tokens" : "max_response_output_tokens";
        Integer maxTokens = s.has(maxName) ? maxTokens(s.get(maxName), "session." + maxName) : null;
        String modalitiesName = s.has("output_modalities") ? "output_modalities" : "modalities";
        Boolean speak = s.has(modalitiesName) ? speak(s.get(modalitiesName), "session." + modalitiesName) : null;
        Boolean transcribe = s.has("input_audio_transcription") ? !s.get("input_audio_transcription").isNull() : null;
        boolean setTurnDetection = s.has("turn_detection");
        RealtimeClientEvent.TurnDetection td = setTurnDetection && !s.get("turn_detection").isNull() ? turnDetection(s.get("turn_detection")) : null;
        return new RealtimeClientEvent.SessionUpdate(setInstructions, instructions, temperature, maxTokens, speak, transcribe, setTurnDetection, td);
    }

    private static RealtimeClientEvent.TurnDetection turnDetection(JsonNode td) {
        String p = "session.turn_detection";
        if (!td.isObject()) throw ApiError.invalid("turn_detection must be an object or null", p, "invalid_type");
        Integer silence = null;
        if (td.has("silence_duration_ms")) {
            JsonNode v = td.get("silence_duration_ms");
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0 || v.asInt() > RealtimeClientEvent.MAX_SILENCE_MS) {
                throw ApiError.invalid("silence_duration_ms must be a whole number of milliseconds in [0, " + RealtimeClientEvent.MAX_SILENCE_MS + "], got " + shorten(v.toString()),
                        p + ".silence_duration_ms", "invalid_value");
            }
            silence = v.asInt();
        }
        Double threshold = td.has("threshold") ? finite(td.get("threshold"), p + ".threshold") : null;
        Double thresholdDb = td.has("threshold_db") ? finite(td.get("threshold_db"), p + ".threshold_db") : null;
        return new RealtimeClientEvent.TurnDetection(silence, threshold, thresholdDb, bool(td, "create_response", p), bool(td, "interrupt_response", p));
    }

    static RealtimeClientEvent.CreateItem createItem(JsonNode item) {
        if (!item.path("type").asText("message").equals("message") || !item.path("role").asText("").equals("user")) {
            throw ApiError.invalid("conversation.item.create takes a user message with input_text content", "item", "invalid_value");
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode c : item.path("content")) if (c.path("type").asText().equals("input_text") && c.path("text").isTextual()) text.append(c.path("text").asText());
        if (text.isEmpty()) throw ApiError.invalid("the item has no input_text content", "item.content", "invalid_value");
        return new RealtimeClientEvent.CreateItem(text.toString());
    }

    static RealtimeClientEvent.Truncate truncate(JsonNode e) {
        if (!e.path("item_id").isTextual()) throw ApiError.invalid("item_id must be the spoken answer's item id", "item_id", "invalid_value");
        JsonNode end = e.path("audio_end_ms");
        if (!end.isIntegralNumber() || !end.canConvertToLong() || end.asLong() < 0) {
            throw ApiError.invalid("audio_end_ms must be a whole number of milliseconds ≥ 0", "audio_end_ms", "invalid_value");
        }
        JsonNode index = e.path("content_index");
        if (!index.isMissingNode() && (!index.isIntegralNumber() || !index.canConvertToInt() || index.asInt() < 0)) {
            throw ApiError.invalid("content_index must be a whole number ≥ 0", "content_index", "invalid_value");
        }
        return new RealtimeClientEvent.Truncate(e.get("item_id").asText(), index.asInt(0), end.asLong());
    }

    private static double finite(JsonNode v, String param) {
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) throw ApiError.invalid(param + " must be a finite number, got " + shorten(v.toString()), param, "invalid_value");
        return v.asDouble();
    }

    /** A whole number ≥ 1 (capped at the server's unbounded answer length) or "inf". */
    private static int maxTokens(JsonNode v, String param) {
        if (v.isTextual() && v.asText().equals("inf")) return ChatTurns.UNBOUNDED;
        if (!v.isIntegralNumber() || v.bigIntegerValue().signum() <= 0) {
            throw ApiError.invalid(param + " must be a whole number ≥ 1 or \"inf\", got " + shorten(v.toString()), param, "invalid_value");
        }
        return v.canConvertToInt() ? Math.min(v.asInt(), ChatTurns.UNBOUNDED) : ChatTurns.UNBOUNDED;
    }

    /** output_modalities: ["audio"] or ["text"] (or both: audio, as OpenAI's transcript comes with it). */
    private static boolean speak(JsonNode v, String param) {
        if (!v.isArray() || v.isEmpty()) throw ApiError.invalid(param + " must be [\"audio\"] or [\"text\"]", param, "invalid_value");
        boolean audio = false;
        for (JsonNode m : v) {
            if (!m.isTextual() || !(m.asText().equals("audio") || m.asText().equals("text"))) {
                throw ApiError.invalid(param + " takes \"audio\" or \"text\", got " + shorten(m.toString()), param, "invalid_value");
            }
            audio |= m.asText().equals("audio");
        }
        return audio;
    }

    private static Boolean bool(JsonNode o, String name, String parent) {
        if (!o.has(name)) return null;
        if (!o.get(name).isBoolean()) throw ApiError.invalid(name + " must be true or false", parent + "." + name, "invalid_type");
        return o.get(name).asBoolean();
    }

    /** A value quoted in an error message, at most 64 characters of it. */
    static String shorten(String s) { return s.length() <= 64 ? s : s.substring(0, 61) + "..."; }
}
