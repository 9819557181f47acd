package dev.auris.serve;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.*;

/** Bad requests get OpenAI's error shape with the right 4xx, never a stack trace, and the server keeps serving. */
class ServeErrorsTest {
    static Server server;
    static Http http;

    @BeforeAll
    static void start() {
        server = Server.start(TestModel.get(), TestModel.ID, ServeConfig.defaults().withPort(0).withApiKey("right-key"));
        http = new Http(server.port(), "right-key");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The response is an OpenAI error with this status and code, and still serving afterwards. */
    private static void assertError(Http.Response r, int status, String code) {
        assertEquals(status, r.status(), r.body());
        var e = r.json().path("error");
        assertFalse(e.path("message").asText("").isBlank(), r.body());
        assertTrue(e.has("type") && e.has("param") || e.has("type"), r.body());
        if (code != null) assertEquals(code, e.path("code").asText(null), r.body());
        assertFalse(r.body().contains("\tat ") || r.body().contains("Exception:"), "no stack trace: " + r.body());
        assertEquals(200, http.get("/v1/models").status(), "the server keeps serving");
    }

    @Test
    void missingOrWrongKeyIs401() {
        var noKey = new Http(server.port(), null);
        assertError(noKey.get("/v1/models"), 401, "invalid_api_key");
        assertError(new Http(server.port(), "wrong-key").postJson("/v1/chat/completions", Http.chatWithText("hi", 4)), 401, "invalid_api_key");
        assertError(new Http(server.port(), "right-kez").get("/v1/models"), 401, "invalid_api_key");
    }

    @Test
    void malformedJsonIs400() {
        assertError(http.postJson("/v1/chat/completions", "{\"model\": \"tiny\", \"messages\": [{"), 400, "invalid_json");
        assertError(http.postJson("/v1/chat/completions", ""), 400, "invalid_json");
        assertError(http.postJson("/v1/chat/completions", "{\"model\": \"tiny\", \"temperature\": \"hot\", \"messages\": []}"), 400, "invalid_type");
    }

    @Test
    void invalidBase64Is400() {
        var r = http.postJson("/v1/chat/completions", Http.chatWithAudio("this is *not* base64!", 4));
        assertError(r, 400, "invalid_base64");
        assertEquals("messages[0].content[0].input_audio.data", r.json().path("error").path("param").asText());
    }

    @Test
    void audioThatIsNotAudioIs400() {
        String notAudio = Base64.getEncoder().encodeToString("just some text, no RIFF header here".getBytes());
        assertError(http.postJson("/v1/chat/completions", Http.chatWithAudio(notAudio, 4)), 400, "invalid_audio");
        byte[] wav = TestModel.bytes(TestModel.story3());
        byte[] truncated = java.util.Arrays.copyOf(wav, 40); // a RIFF header and nothing after it
        assertError(http.postJson("/v1/chat/completions", Http.chatWithAudio(Base64.getEncoder().encodeToString(truncated), 4)), 400, "invalid_audio");
    }

    @Test
    void bodyOverTheLimitIs413() {
        byte[] big = new byte[(int) ServeConfig.OPENAI_BODY_LIMIT + 1024];
        var r = http.send(http.request("/v1/chat/completions").header("Content-Type", "application/json").expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build());
        assertError(r, 413, "request_too_large");
    }

    @Test
    void unknownModelIs404() {
        assertError(http.postJson("/v1/chat/completions", Http.chatWithText("hi", 4).replace("\"tiny\"", "\"whisper-1\"")), 404, "model_not_found");
    }

    @Test
    void badFieldsAre400() {
        assertError(http.postJson("/v1/chat/completions", "{\"model\": \"tiny\", \"messages\": []}"), 400, "invalid_value");
        assertError(http.postJson("/v1/chat/completions", Http.chatWithText("hi", 0)), 400, "invalid_value");
        assertError(http.postJson("/v1/chat/completions", Http.chatWithText("hi", 4).replace("\"temperature\": 0", "\"temperature\": 3")), 400, "invalid_value");
        assertError(http.postJson("/v1/chat/completions", "{\"model\": \"tiny\", \"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}"), 400, "invalid_value");
        assertError(http.postJson("/v1/chat/completions", "{\"model\": \"tiny\", \"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}"), 400, "invalid_value");
        assertError(http.postJson("/v1/chat/completions", "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}"), 400, "invalid_value");
    }

    @Test
    void unknownEndpointIs404() {
        assertError(http.get("/v1/embeddings"), 404, "unknown_url");
    }

    @Test
    void badTranscriptionRequestsAre400() {
        assertError(http.postJson("/v1/audio/transcriptions", "{}"), 400, "invalid_content_type");
        String b = "xyzBOUNDARY";
        var noFile = http.send(http.request("/v1/audio/transcriptions").header("Content-Type", "multipart/form-data; boundary=" + b)
                .POST(Http.multipart(b, null, "model", "tiny")).build());
        assertError(noFile, 400, "missing_required_parameter");
        var notAudio = http.send(http.request("/v1/audio/transcriptions").header("Content-Type", "multipart/form-data; boundary=" + b)
                .POST(Http.multipart(b, "not audio at all".getBytes(), "model", "tiny")).build());
        assertError(notAudio, 400, "invalid_audio");
        var badFormat = http.send(http.request("/v1/audio/transcriptions").header("Content-Type", "multipart/form-data; boundary=" + b)
                .POST(Http.multipart(b, TestModel.bytes(TestModel.story3()), "model", "tiny", "response_format", "srt")).build());
        assertError(badFormat, 400, "invalid_value");
    }

    @Test
    void transcriptionFormats() {
        String b = "xyzBOUNDARY";
        byte[] wav = TestModel.bytes(TestModel.story3());
        var text = http.send(http.request("/v1/audio/transcriptions").header("Content-Type", "multipart/form-data; boundary=" + b)
                .POST(Http.multipart(b, wav, "model", "tiny", "response_format", "text")).build());
        assertEquals(200, text.status(), text.body());
        var verbose = http.send(http.request("/v1/audio/transcriptions").header("Content-Type", "multipart/form-data; boundary=" + b)
                .POST(Http.multipart(b, wav, "model", "tiny", "response_format", "verbose_json")).build());
        assertEquals(200, verbose.status(), verbose.body());
        assertEquals(text.body(), verbose.json().path("text").asText());
        assertEquals(2.34, verbose.json().path("duration").asDouble(), 0.01);
    }

    @Test
    void servesTheTalkPageFromTheJar() {
        var noKey = new Http(server.port(), null);
        var page = noKey.get("/");
        assertEquals(200, page.status());
        assertTrue(page.body().contains("<script src=\"app.js\">") && !page.body().contains("http"), "no CDN: " + page.body());
        for (String js : new String[]{"/app.js", "/pcm-worklet.js"}) {
            var r = noKey.get(js);
            assertEquals(200, r.status(), js);
            assertTrue(r.headers().firstValue("Content-Type").orElse("").contains("javascript"), js);
        }
        assertTrue(noKey.get("/app.js").body().contains("/v1/realtime"));
    }

    @Test
    void streamEndsWithDone() {
        var r = http.postJson("/v1/chat/completions", Http.chatWithText("Once upon a time", 8).replace("\"temperature\": 0", "\"temperature\": 0, \"stream\": true"));
        assertEquals(200, r.status(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        var lines = r.body().lines().filter(l -> l.startsWith("data: ")).toList();
        assertEquals("data: [DONE]", lines.getLast());
        assertTrue(lines.getFirst().contains("\"chat.completion.chunk\"") && lines.getFirst().contains("\"role\":\"assistant\""), lines.getFirst());
    }
}
