package dev.auris.serve;

import java.util.List;

/**
 * What {@code /v1/chat/completions} answers, as OpenAI's wire types: a whole {@link Completion}, or a stream of
 * {@link Chunk}s. A spoken answer ({@code modalities: ["text", "audio"]}) fills {@code message.audio} or
 * {@code delta.audio} instead of the content; otherwise they are null (left out of the JSON).
 */
public sealed interface ChatResponse permits ChatResponse.Completion, ChatResponse.Chunk {
    record Completion(String id, String object, long created, String model, List<Choice> choices, Usage usage,
                      String systemFingerprint) implements ChatResponse {}

    record Chunk(String id, String object, long created, String model, List<ChunkChoice> choices, Usage usage,
                 String systemFingerprint) implements ChatResponse {}

    record Choice(int index, Message message, String finishReason) {}

    /** The assistant's answer; {@code audio} when the answer is spoken as well. */
    record Message(String role, String content, AudioOutput audio) {}

    /** OpenAI's {@code message.audio}: base64 audio in the requested format and its transcript. */
    record AudioOutput(String id, String data, String transcript, long expiresAt) {}

    record ChunkChoice(int index, Delta delta, String finishReason) {}

    /** A streamed piece: text, or (later) audio with its transcript. */
    record Delta(String role, String content, AudioDelta audio) {}

    /** A streamed piece of a spoken answer: base64 pcm16 (24 kHz) audio, or its transcript's next text; the last one carries expires_at. */
    record AudioDelta(String id, String data, String transcript, Long expiresAt) {}

    record Usage(int promptTokens, int completionTokens, int totalTokens) {}

    static Completion completion(String id, long created, String model, String text, String finish, Usage usage) {
        return new Completion(id, "chat.completion", created, model,
                List.of(new Choice(0, new Message("assistant", text, null), finish)), usage, "auris");
    }

    /** A spoken answer: the text is the audio's transcript ({@code content} null, as OpenAI answers with audio). */
    static Completion spoken(String id, long created, String model, AudioOutput audio, String finish, Usage usage) {
        return new Completion(id, "chat.completion", created, model,
                List.of(new Choice(0, new Message("assistant", null, audio), finish)), usage, "auris");
    }

    static Chunk chunk(String id, long created, String model, Delta delta, String finish) {
        return new Chunk(id, "chat.completion.chunk", created, model, List.of(new ChunkChoice(0, delta, finish)), null, "auris");
    }

    /** The last chunk of a stream that asked for {@code stream_options.include_usage}: no choices, the usage. */
    static Chunk usageChunk(String id, long created, String model, Usage usage) {
        return new Chunk(id, "chat.completion.chunk", created, model, List.of(), usage, "auris");
    }
}
