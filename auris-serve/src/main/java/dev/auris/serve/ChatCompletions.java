package dev.auris.serve;

import dev.auris.pipeline.Event;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechSession;
import dev.auris.sample.Generator;
import io.javalin.http.Context;

import java.util.UUID;
import java.util.function.Consumer;

/**
 * {@code POST /v1/chat/completions}: one SpeechSession per request, opened and closed on an inference thread;
 * the request's earlier messages become the session's history and the last user message is answered, whole
 * or streamed as {@code chat.completion.chunk} events.
 */
final class ChatCompletions {
    /** What one answer came to. */
    record Answer(String text, int promptTokens, int completionTokens, Generator.StopReason stop, double firstTokenMs) {
        ChatResponse.Usage usage() { return new ChatResponse.Usage(promptTokens, completionTokens, promptTokens + completionTokens); }
    }

    private final SpeechLlm model;
    private final String modelId;
    private final ServeConfig config;
    private final InferencePool pool;
    private final BatchLoop batch;
    private final java.util.concurrent.atomic.AtomicLong disconnects = new java.util.concurrent.atomic.AtomicLong();

    ChatCompletions(SpeechLlm model, String modelId, ServeConfig config, InferencePool pool, BatchLoop batch) {
        this.model = model;
        this.batch = batch;
        this.modelId = modelId;
        this.config = config;
        this.pool = pool;
    }

    void handle(Context ctx) {
        ChatRequest r = Json.read(Bodies.read(ctx, config.maxBodyBytes()), ChatRequest.class);
        Models.check(r.model(), modelId);
        if (r.wantsAudio()) {
            throw ApiError.invalid("audio output is not available yet: " + modelId + " answers in text only (it has no speech decoder); "
                    + "ask with modalities [\"text\"] and no \"audio\" field", r.modalities() != null ? "modalities" : "audio", "audio_output_unsupported");
        }
        ChatTurns turns = ChatTurns.of(r, config.maxAudioSeconds());
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        var token = new InferencePool.Token();
        try (ClientWatch watch = ClientWatch.start(ctx, () -> token.cancel("client gone"))) {
            try {
                if (r.streaming()) stream(ctx, r, turns, token, id, created);
                else whole(ctx, turns, token, id, created);
            } catch (InferencePool.Cancelled c) {
                if (!watch.gone()) throw c;
                disconnects.incrementAndGet(); // nobody to answer: the answer left the batch, its session is closed
            }
        }
    }

    private void whole(Context ctx, ChatTurns turns, InferencePool.Token token, String id, long created) {
        Answer a = pool.call(config.requestTimeout(), token, t -> answer(turns, t, d -> {}));
        ctx.contentType("application/json").result(Json.write(ChatResponse.completion(id, created, modelId, a.text(), ChatTurns.finishReason(a.stop()), a.usage())));
    }

    private void stream(Context ctx, ChatRequest r, ChatTurns turns, InferencePool.Token token, String id, long created) {
        Sse[] sse = {null}; // opened by the inference thread when the answer starts, so a 429 stays a plain response
        try {
            pool.call(config.requestTimeout(), token, t -> {
                sse[0] = new Sse(ctx);
                sse[0].data(ChatResponse.chunk(id, created, modelId, new ChatResponse.Delta("assistant", "", null), null));
                Answer a = answer(turns, t, d -> sse[0].data(ChatResponse.chunk(id, created, modelId, new ChatResponse.Delta(null, d, null), null)));
                sse[0].data(ChatResponse.chunk(id, created, modelId, new ChatResponse.Delta(null, null, null), ChatTurns.finishReason(a.stop())));
                if (r.includeUsage()) sse[0].data(ChatResponse.usageChunk(id, created, modelId, a.usage()));
                sse[0].done();
                return a;
            });
        } catch (ClientGone gone) {
            disconnects.incrementAndGet(); // a write failed: nothing to answer, the session is already closed
        } catch (ApiError e) {
            if (sse[0] == null) throw e;   // before the stream started: an ordinary error response
            try {
                sse[0].data(e.body());      // mid-stream: OpenAI's error object as the last event
            } catch (ClientGone ignored) {
                // left meanwhile
            }
        }
    }

    long disconnects() { return disconnects.get(); }

    /**
     * Answers on the calling (inference) thread, which hears and prefills; the tokens come from the shared
     * {@link BatchLoop}, and the deltas are written here. The session lives exactly as long as this call.
     */
    private Answer answer(ChatTurns turns, InferencePool.Token token, Consumer<String> onText) {
        try (SpeechSession s = model.newSession()) {
            turns.history().forEach(s::add);
            var decode = batch.new Answer(token);
            Event.Done d = s.respond(turns.question(), turns.sampling(), decode, decode.sink(e -> {
                token.check();
                if (e instanceof Event.TextDelta t) onText.accept(t.text());
            }));
            // the generator feeds every sampled token but the last unless the answer ended with EOS
            int fedAnswer = d.stop() == Generator.StopReason.EOS ? d.tokens() : Math.max(0, d.tokens() - 1);
            return new Answer(d.text(), Math.max(0, s.position() - fedAnswer), d.tokens(), d.stop(), d.firstTokenMs());
        }
    }
}
