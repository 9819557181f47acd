package dev.auris.serve;

import dev.auris.audio.AudioClip;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * A {@code /v1/audio/transcriptions} request read from its multipart/form-data body (Jetty parses the parts):
 * the {@code file} part decoded to a 16 kHz clip no longer than the server takes, the {@code model} checked, the
 * {@code response_format}. Whatever cannot be read is an {@link ApiError} 400 (or 413) naming the field.
 */
record TranscriptionUpload(AudioClip clip, String format) {
    static final List<String> FORMATS = List.of("json", "text", "verbose_json");

    static TranscriptionUpload read(Context ctx, String modelId, ServeConfig config) {
        Bodies.checkDeclared(ctx, config.maxBodyBytes());
        String type = ctx.contentType() == null ? "" : ctx.contentType();
        if (!type.startsWith("multipart/form-data")) {
            throw ApiError.invalid("send multipart/form-data with a 'file' part (the audio) and a 'model' field, got Content-Type '" + type + "'", "file", "invalid_content_type");
        }
        UploadedFile file = ctx.uploadedFile("file");
        if (file == null) throw ApiError.invalid("the 'file' part is missing: attach the audio as multipart field 'file'", "file", "missing_required_parameter");
        Models.check(ctx.formParam("model"), modelId);
        String format = ctx.formParam("response_format") == null ? "json" : ctx.formParam("response_format");
        if (!FORMATS.contains(format)) {
            throw ApiError.invalid("response_format '" + RealtimeEventFields.shorten(format) + "' is not supported: use json, text or verbose_json", "response_format", "invalid_value");
        }
        byte[] bytes;
        try (InputStream in = file.content()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, config.maxBodyBytes() + 1));
        } catch (IOException e) {
            throw new ClientGone(e);
        }
        if (bytes.length > config.maxBodyBytes()) throw ApiError.tooLarge(config.maxBodyBytes());
        return new TranscriptionUpload(AudioInput.decode(bytes, "file", config.maxAudioSeconds()), format);
    }
}
