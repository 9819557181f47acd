package dev.auris.serve;

import dev.auris.pipeline.Event;
import dev.auris.pipeline.HeardClips;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechSession;
import dev.auris.sample.Generator;
import io.javalin.http.Context;

import java.util.Base64;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * {@code POST /v1/chat/completions}: one SpeechSession per request, opened and closed on an inference thread;
 * the request's earlier messages become the session's history and the last user message is answered, whole
 * or streamed as {@code chat.completion.chunk} events. The API is stateless, so a client sends its past clips
 * again with every turn; what they were heard as is kept by their audio ({@link HeardClips#byContent}), and a
 * turn hears only its new clip.
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
    private final HeardClips heard;                     // what past requests' clips were heard as, by their audio; null: none kept

    ChatCompletions(SpeechLlm model, String modelId, ServeConfig config, InferencePool pool, BatchLoop batch) {
        this.model = model;
        this.batch = batch;
        this.modelId = modelId;
        this.config = config;
        this.pool = pool;
        this.heard = config.heardBytes() > 0 ? HeardClips.byContent(model, config.heardBytes()) : null;
    }

    void handle(Context ctx) {
        ChatRequest r = Json.read(Bodies.read(ctx, config.maxBodyBytes()), ChatRequest.class);
        Models.check(r.model(), modelId);
        SpokenReply spoken = SpokenReply.of(r, model.speech(), modelId);
        ChatTurns turns = ChatTurns.of(r, config.maxAudioSeconds());
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        var token = new InferencePool.Token();
        var counted = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable gone = () -> { if (counted.compareAndSet(false, true)) disconnects.incrementAndGet(); };   // once a request, when first noticed
        try (ClientWatch watch = ClientWatch.start(ctx, () -> { gone.run(); token.cancel("client gone"); })) {   // counted before the cancel frees the session
            try {
                if (r.streaming()) stream(ctx, r, turns, spoken, token, id, created, gone);
                else whole(ctx, turns, spoken, token, id, created);
            } catch (InferencePool.Cancelled c) {
                if (!watch.gone()) throw c;
                gone.run(); // nobody to answer: the answer left the batch, its session is closed
            }
        }
    }

    private void whole(Context ctx, ChatTurns turns, SpokenReply spoken, InferencePool.Token token, String id, long created) {
        AudioOut audio = spoken == null ? null : new AudioOut(spoken.head().vocoder().sampleRate(), true);
        Answer a = pool.call(config.requestTimeout(), token, t -> answer(turns, t, spoken, d -> {}, pcm -> {}, audio));
        String finish = ChatTurns.finishReason(a.stop());
        var body = spoken == null ? ChatResponse.completion(id, created, modelId, a.text(), finish, a.usage())
                : ChatResponse.spoken(id, created, modelId, new ChatResponse.AudioOutput(audioId(id), Base64.getEncoder().encodeToString(spoken.encode(audio.pcm16())),
                        a.text(), created + AUDIO_TTL_SECONDS), finish, a.usage());
        ctx.contentType("application/json").result(Json.write(body));
    }

    /** How long a spoken answer's id stays meaningful (OpenAI's expires_at; Auris keeps nothing, the field is for clients). */
    static final long AUDIO_TTL_SECONDS = 3600;

    private static String audioId(String completionId) { return "audio_" + completionId.substring("chatcmpl-".length()); }

    private static ChatResponse.Delta audio(String id, String data, String transcript, Long expiresAt) {
        return new ChatResponse.Delta(null, null, new ChatResponse.AudioDelta(id, data, transcript, expiresAt));
    }

    private void stream(Context ctx, ChatRequest r, ChatTurns turns, SpokenReply spoken, InferencePool.Token token, String id, long created, Runnable leftEarly) {
        Sse[] sse = {null}; // opened by the inference thread when the answer starts, so a 429 stays a plain response
        try {
            pool.call(config.requestTimeout(), token, t -> {
                sse[0] = new Sse(ctx);
                Consumer<ChatResponse.Delta> send = delta -> sse[0].data(ChatResponse.chunk(id, created, modelId, delta, null));
                send.accept(new ChatResponse.Delta("assistant", "", null));
                Answer a;
                if (spoken == null) {
                    a = answer(turns, t, null, d -> send.accept(new ChatResponse.Delta(null, d, null)), null, null);
                } else { // the text is the audio's transcript, as OpenAI streams a spoken answer
                    String aid = audioId(id);
                    a = answer(turns, t, spoken, d -> send.accept(audio(aid, null, d, null)),
                            pcm -> send.accept(audio(aid, Base64.getEncoder().encodeToString(pcm), null, null)), new AudioOut(spoken.head().vocoder().sampleRate(), false));
                    send.accept(audio(aid, null, null, created + AUDIO_TTL_SECONDS));
                }
                sse[0].data(ChatResponse.chunk(id, created, modelId, new ChatResponse.Delta(null, null, null), ChatTurns.finishReason(a.stop())));
                if (r.includeUsage()) sse[0].data(ChatResponse.usageChunk(id, created, modelId, a.usage()));
                sse[0].done();
                return a;
            });
        } catch (ClientGone gone) {
            leftEarly.run(); // a write failed: nothing to answer, the session is already closed
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

    /** What the requests' clips were heard as (null when the server keeps nothing). */
    HeardClips heard() { return heard; }

    /**
     * Answers on the calling (inference) thread, which hears and prefills; the tokens come from the shared
     * {@link BatchLoop}, and the deltas are written here; a spoken answer's audio is resampled to 24 kHz here
     * into {@code onAudio}. The session lives exactly as long as this call.
     */
    private Answer answer(ChatTurns turns, InferencePool.Token token, SpokenReply spoken, Consumer<String> onText, Consumer<byte[]> onAudio, AudioOut audio) {
        try (SpeechSession s = heard == null ? model.newSession() : model.newSession(heard)) {
            turns.history().forEach(s::add);
            Consumer<Event> sink = e -> {
                token.check();
                switch (e) {
                    case Event.TextDelta t -> onText.accept(t.text());
                    case Event.AudioChunk c -> {
                        byte[] pcm = audio.push(c.samples());
                        if (pcm.length > 0) onAudio.accept(pcm);
                    }
                    default -> { }
                }
            };
            var decode = batch.new Answer(token);
            Event.Done d = s.respond(turns.question(), turns.sampling(), spoken == null ? null : spoken.head(), decode, decode.sink(sink));
            if (spoken != null) {
                byte[] rest = audio.finish();
                if (rest.length > 0) onAudio.accept(rest);
            }
            // the generator feeds every sampled token but the last unless the answer ended with EOS
            int fedAnswer = d.stop() == Generator.StopReason.EOS ? d.tokens() : Math.max(0, d.tokens() - 1);
            return new Answer(d.text(), Math.max(0, s.position() - fedAnswer), d.tokens(), d.stop(), d.firstTokenMs());
        }
    }
}
