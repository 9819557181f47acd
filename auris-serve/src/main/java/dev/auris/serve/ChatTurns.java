package dev.auris.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A chat request read into the model's terms: the conversation as {@link Turn}s (the last one the user's, to
 * answer) and the {@link SamplingOptions}. Every check happens here, before a session is taken, and fails
 * with a 400 naming the field.
 */
record ChatTurns(List<Turn> history, Turn question, SamplingOptions sampling) {
    /** No max_tokens given: the context window is the bound (the generator stops there, finish_reason "length"). */
    static final int UNBOUNDED = 1 << 16;

    static ChatTurns of(ChatRequest r, double maxAudioSeconds) {
        if (r.messages() == null || r.messages().isEmpty()) throw ApiError.invalid("messages is empty: send at least one user message", "messages", "invalid_value");
        if (r.n() != null && r.n() != 1) throw ApiError.invalid("n must be 1: this server returns one choice", "n", "invalid_value");
        List<Turn> turns = new ArrayList<>();
        for (int i = 0; i < r.messages().size(); i++) turns.add(turn(r.messages().get(i), "messages[" + i + "]", maxAudioSeconds));
        Turn last = turns.removeLast();
        if (!last.role().equals("user")) throw ApiError.invalid("the last message must be the user's (it is " + last.role() + "'s): the server answers it", "messages", "invalid_value");
        return new ChatTurns(turns, last, sampling(r));
    }

    private static Turn turn(ChatRequest.Message m, String where, double maxAudioSeconds) {
        if (m == null) throw ApiError.invalid(where + " is null", where, "invalid_value");
        String role = m.role() == null ? "" : m.role();
        role = switch (role) {
            case "system", "developer" -> "system";
            case "user", "assistant" -> role;
            default -> throw ApiError.invalid(where + ".role '" + role + "' is not supported: use system, developer, user or assistant (no tools)", where + ".role", "invalid_value");
        };
        JsonNode c = m.content();
        List<Turn.Part> parts = new ArrayList<>();
        if (c == null || c.isNull()) throw ApiError.invalid(where + ".content is missing", where + ".content", "invalid_value");
        if (c.isTextual()) {
            parts.add(Turn.text(c.asText()));
        } else if (c.isArray()) {
            for (int j = 0; j < c.size(); j++) parts.add(part(c.get(j), where + ".content[" + j + "]", role, maxAudioSeconds));
        } else {
            throw ApiError.invalid(where + ".content must be a string or a list of parts", where + ".content", "invalid_type");
        }
        if (parts.isEmpty()) throw ApiError.invalid(where + ".content is empty", where + ".content", "invalid_value");
        return new Turn(role, parts);
    }

    private static Turn.Part part(JsonNode p, String where, String role, double maxAudioSeconds) {
        String type = p.path("type").asText("");
        switch (type) {
            case "text" -> {
                if (!p.path("text").isTextual()) throw ApiError.invalid(where + ".text must be a string", where + ".text", "invalid_type");
                return Turn.text(p.get("text").asText());
            }
            case "input_audio" -> {
                if (!role.equals("user")) throw ApiError.invalid(where + ": only user messages can hold input_audio", where, "invalid_value");
                JsonNode a = p.path("input_audio");
                String format = a.path("format").asText("wav");
                if (!AudioInput.knownFormat(format)) {
                    throw ApiError.invalid(where + ".input_audio.format '" + format + "' is not supported: use wav, mp3, flac or ogg", where + ".input_audio.format", "invalid_value");
                }
                String param = where + ".input_audio.data";
                byte[] bytes = AudioInput.base64(a.path("data").isTextual() ? a.get("data").asText() : null, param);
                return Turn.speech(AudioInput.decode(bytes, param, maxAudioSeconds));
            }
            default -> throw ApiError.invalid(where + ".type '" + type + "' is not supported: use text or input_audio", where + ".type", "invalid_value");
        }
    }

    static SamplingOptions sampling(ChatRequest r) {
        double t = r.temperature() == null ? 1.0 : r.temperature(); // OpenAI's default; 0 is greedy
        if (t < 0 || t > 2) throw ApiError.invalid("temperature must be in [0, 2], got " + t, "temperature", "invalid_value");
        double p = r.topP() == null ? 1.0 : r.topP();
        if (p <= 0 || p > 1) throw ApiError.invalid("top_p must be in (0, 1], got " + p, "top_p", "invalid_value");
        Integer max = r.maxCompletionTokens() != null ? r.maxCompletionTokens() : r.maxTokens();
        String maxParam = r.maxCompletionTokens() != null ? "max_completion_tokens" : "max_tokens";
        if (max != null && max < 1) throw ApiError.invalid(maxParam + " must be ≥ 1, got " + max, maxParam, "invalid_value");
        long seed = r.seed() != null ? r.seed() : ThreadLocalRandom.current().nextLong();
        return new SamplingOptions(t, 0, p, 0, 1, seed, max == null ? UNBOUNDED : max, Set.of(), stops(r.stop()));
    }

    private static List<String> stops(JsonNode stop) {
        if (stop == null || stop.isNull()) return List.of();
        List<String> out = new ArrayList<>();
        if (stop.isTextual()) out.add(stop.asText());
        else if (stop.isArray()) for (JsonNode s : stop) {
            if (!s.isTextual()) throw ApiError.invalid("stop must be a string or a list of strings", "stop", "invalid_type");
            out.add(s.asText());
        }
        else throw ApiError.invalid("stop must be a string or a list of strings", "stop", "invalid_type");
        if (out.size() > 4) throw ApiError.invalid("stop holds at most 4 sequences, got " + out.size(), "stop", "invalid_value");
        if (out.stream().anyMatch(String::isEmpty)) throw ApiError.invalid("a stop sequence is empty", "stop", "invalid_value");
        return out;
    }

    static String finishReason(dev.auris.sample.Generator.StopReason stop) {
        return switch (stop) {
            case EOS, STOP_STRING -> "stop";
            case MAX_TOKENS, CONTEXT_FULL -> "length";
        };
    }
}
