package dev.auris.serve;

import dev.auris.audio.AudioClip;
import dev.auris.pipeline.SpeechLlm;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;

import java.io.IOException;
import java.io.InputStream;
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
        Bodies.checkDeclared(ctx, config.maxBodyBytes());
        String type = ctx.contentType() == null ? "" : ctx.contentType();
        if (!type.startsWith("multipart/form-data")) {
            throw ApiError.invalid("send multipart/form-data with a 'file' part (the audio) and a 'model' field, got Content-Type '" + type + "'", "file", "invalid_content_type");
        }
        UploadedFile file = ctx.uploadedFile("file");
        if (file == null) throw ApiError.invalid("the 'file' part is missing: attach the audio as multipart field 'file'", "file", "missing_required_parameter");
        Models.check(ctx.formParam("model"), modelId);
        String format = ctx.formParam("response_format") == null ? "json" : ctx.formParam("response_format");
        if (!List.of("json", "text", "verbose_json").contains(format)) {
            throw ApiError.invalid("response_format '" + format + "' is not supported: use json, text or verbose_json", "response_format", "invalid_value");
        }
        byte[] bytes;
        try (InputStream in = file.content()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, config.maxBodyBytes() + 1));
        } catch (IOException e) {
            throw new ClientGone(e);
        }
        if (bytes.length > config.maxBodyBytes()) throw ApiError.tooLarge(config.maxBodyBytes());
        AudioClip clip = AudioInput.decode(bytes, "file", config.maxAudioSeconds());
        var token = new InferencePool.Token();
        String text;
        try (ClientWatch watch = ClientWatch.start(ctx, () -> token.cancel("client gone"))) { // a client that left gives its queue place up
            text = pool.call(config.requestTimeout(), token,
                    t -> model.transcriber(dev.auris.pipeline.Transcriber.Kind.defaultFor(model)).transcribe(clip, MAX_TOKENS));
        } catch (InferencePool.Cancelled c) {
            return; // nobody to answer
        }
        switch (format) {
            case "text" -> ctx.contentType("text/plain; charset=utf-8").result(text);
            case "verbose_json" -> ctx.contentType("application/json").result(Json.write(new Verbose("transcribe", "english", clip.seconds(), text,
                    List.of(new Segment(0, 0, 0, clip.seconds(), text)))));
            default -> ctx.contentType("application/json").result(Json.write(new Text(text)));
        }
    }
}
