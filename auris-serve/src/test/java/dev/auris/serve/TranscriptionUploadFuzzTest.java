package dev.auris.serve;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;

/**
 * A {@code /v1/audio/transcriptions} multipart/form-data body of arbitrary bytes, sent over HTTP to a Javalin
 * server configured as {@code auris serve} is (Jetty's multipart limits, the same error mapping) whose route reads
 * the upload as the endpoint does ({@link TranscriptionUpload}: Jetty's part parser, the file decoded as WAV or
 * through FFmpeg, the model and response_format checked) and answers with the clip's length instead of a
 * transcript. The answer must be 200 with a finite clip within the audio limit, or 400 / 404 / 413 in OpenAI's
 * error shape with a message, and the client's next request on the same connection must still be answered; a 500 or
 * anything else is a finding. Seeds: {@code TranscriptionUploadFuzzTestInputs/}
 * (README's curl upload of a short WAV, the other fields, broken parts). {@code JAZZER_FUZZ=1}: docs/FUZZING.md.
 */
class TranscriptionUploadFuzzTest {
    static final String BOUNDARY = "auris-fuzz-7MA4YWxkTrZu0gW";
    private static final ServeConfig CONFIG = ServeConfig.defaults().withPort(0);
    private static Javalin app;
    private static HttpClient client;
    private static URI uri;

    private static synchronized void start() {
        if (app != null) return;
        app = Javalin.create(c -> {
            Server.configure(c, CONFIG);
            c.routes.post("/v1/audio/transcriptions", ctx -> {
                TranscriptionUpload u = TranscriptionUpload.read(ctx, "tiny", CONFIG);
                for (float x : u.clip().samples()) if (!Float.isFinite(x)) throw new IllegalStateException("a non-finite sample passed");
                if (u.clip().sampleRate() != 16_000 || u.clip().seconds() > CONFIG.maxAudioSeconds()) throw new IllegalStateException("clip out of range: " + u.clip().seconds() + " s");
                ctx.contentType("application/json").result("{\"seconds\": " + u.clip().seconds() + ", \"format\": \"" + u.format() + "\"}");
            });
            Server.errors(c);
        }).start();
        client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        uri = URI.create("http://127.0.0.1:" + app.port() + "/v1/audio/transcriptions");
    }

    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void upload(byte[] body) throws IOException, InterruptedException {
        start();
        // the harness's own connections to its own server (a 400 that closes its connection makes the client open
        // another): not a request forgery, which Jazzer's sanitizer would report
        try (var own = BugDetectors.allowNetworkConnections((host, port) -> port == app.port() && (host.equals("127.0.0.1") || host.equals("localhost")))) {
            check(body);
        }
    }

    private static void check(byte[] body) throws IOException, InterruptedException {
        var r = post(body);
        if (r.statusCode() != 200) {
            if (!Set.of(400, 404, 413).contains(r.statusCode())) throw new AssertionError("status " + r.statusCode() + ": " + r.body());
            JsonNode error = Json.MAPPER.readTree(r.body()).path("error");
            if (error.path("message").asText("").isBlank()) throw new AssertionError("an error without a message: " + r.body());
        }
        // the client's next request, on the connection it keeps, is answered: a 400 that left Jetty closing the
        // connection without saying so made it fail (seed regression-no-file-after-an-empty-body, after the empty input)
        var next = post(PROBE);
        if (next.statusCode() != 200) throw new AssertionError("the request after this one got " + next.statusCode() + ": " + next.body());
    }

    private static HttpResponse<String> post(byte[] body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A well-formed upload: a WAV of 800 silent samples at 16 kHz and the model's name. */
    private static final byte[] PROBE = probe();

    private static byte[] probe() {
        var wav = java.nio.ByteBuffer.allocate(44 + 1600).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        wav.put("RIFF".getBytes()).putInt(36 + 1600).put("WAVEfmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1)
                .putInt(16_000).putInt(32_000).putShort((short) 2).putShort((short) 16).put("data".getBytes()).putInt(1600);
        var out = new java.io.ByteArrayOutputStream();
        out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ntiny\r\n--" + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n").getBytes());
        out.writeBytes(wav.array());
        out.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes());
        return out.toByteArray();
    }
}
