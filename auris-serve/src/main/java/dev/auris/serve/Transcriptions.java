package dev.auris.serve;

import dev.auris.audio.AudioClip;
import dev.auris.pipeline.SpeechLlm;
import io.javalin.http.Context;

import java.util.List;

/**
 * {@code POST /v1/audio/transcriptions} as OpenAI's Whisper API: multipart {@code file} and {@code model},
 * optional {@code response_format} json (default), text or verbose_json. The transcript is the model's
 * default decoder's ({@code auris transcribe}'s), so the two always agree.
 */
final class Transcriptions {
    /** {@code json}. */
    record Text(String text) {}

    /** {@code verbose_json}: one segment spanning the clip (the model gives no word timings). */
    record Verbose(String task, String language, double duration, String text, List<Segment> segments) {}

    record Segment(int id, int seek, double start, double end, String text) {}

    /** Tokens at most in a transcript: the joint decoder's own bound, as `auris transcribe` uses. */
    static final int MAX_TOKENS = 96;

    private final SpeechLlm model;
    private final String modelId;
    private final ServeConfig config;
    private final InferencePool pool;

    Transcriptions(SpeechLlm model, String modelId, ServeConfig config, InferencePool pool) {
        this.model = model;
        this.modelId = modelId;
        this.config = config;
        this.pool = pool;
    }

    void handle(Context ctx) {
        TranscriptionUpload upload = TranscriptionUpload.read(ctx, modelId, config);
        AudioClip clip = upload.clip();
        var token = new InferencePool.Token();
        String text;
        try (ClientWatch watch = ClientWatch.start(ctx, () -> token.cancel("client gone"))) { // a client that left gives its queue place up
            text = pool.call(config.requestTimeout(), token,
                    t -> model.transcriber(dev.auris.pipeline.Transcriber.Kind.defaultFor(model)).transcribe(clip, MAX_TOKENS));
        } catch (InferencePool.Cancelled c) {
            return; // nobody to answer
        }
        switch (upload.format()) {
            case "text" -> ctx.contentType("text/plain; charset=utf-8").result(text);
            case "verbose_json" -> ctx.contentType("application/json").result(Json.write(new Verbose("transcribe", "english", clip.seconds(), text,
                    List.of(new Segment(0, 0, 0, clip.seconds(), text)))));
            default -> ctx.contentType("application/json").result(Json.write(new Text(text)));
        }
    }
}
