package dev.auris.serve;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.*;
import dev.auris.audio.Resampler;
import dev.auris.pipeline.Event;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechSession;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Spoken answers over OpenAI's chat completions, driven by the OpenAI SDK against models/tiny with a voice
 * (TestModel.voiced: a random speech decoder and the golden tiny vocoder): message.audio for a whole answer,
 * delta.audio chunks for a streamed one, both the in-process answer's text and audio (resampled to 24 kHz).
 */
class ServeSpeechTest {
    static Server server;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        server = Server.start(TestModel.voiced(), TestModel.ID, ServeConfig.defaults().withPort(0));
        client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey("none").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    private static ChatCompletionCreateParams.Builder ask(ChatCompletionAudioParam.Format format) {
        return ChatCompletionCreateParams.builder().model(TestModel.ID).addUserMessage("Once upon a time").temperature(0.0).maxCompletionTokens(24)
                .modalities(List.of(ChatCompletionCreateParams.Modality.TEXT, ChatCompletionCreateParams.Modality.AUDIO))
                .audio(ChatCompletionAudioParam.builder().voice("alloy").format(format).build());
    }

    /** The in-process spoken answer: its text, and its audio resampled to 24 kHz as pcm16. */
    private static Object[] inProcess() {
        SpeechLlm m = TestModel.voiced();
        List<float[]> chunks = new ArrayList<>();
        String text;
        int rate;
        try (SpeechSession s = m.newSession()) {
            text = s.respond(Turn.user(Turn.text("Once upon a time")), SamplingOptions.greedy(24), m.speech().orElseThrow(), e -> {
                if (e instanceof Event.AudioChunk c) chunks.add(c.samples());
            }).text();
            rate = m.speech().orElseThrow().vocoder().sampleRate();
        }
        int n = chunks.stream().mapToInt(c -> c.length).sum(), at = 0;
        float[] all = new float[n];
        for (float[] c : chunks) {
            System.arraycopy(c, 0, all, at, c.length);
            at += c.length;
        }
        float[] y = Resampler.resample(all, rate, AudioOut.RATE);
        ByteBuffer b = ByteBuffer.allocate(y.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : y) b.putShort((short) Math.round(Math.max(-1f, Math.min(1f, v)) * 32767f));
        return new Object[]{text, b.array()};
    }

    @Test
    void wholeSpokenAnswerIsMessageAudio() {
        long t0 = System.currentTimeMillis() / 1000;
        ChatCompletion c = client.chat().completions().create(ask(ChatCompletionAudioParam.Format.WAV).build());
        ChatCompletionAudio audio = c.choices().getFirst().message().audio().orElseThrow();
        Object[] expected = inProcess();
        assertEquals(expected[0], audio.transcript(), "the transcript is the answer's text");
        assertTrue(c.choices().getFirst().message().content().isEmpty(), "the text is in audio.transcript, as OpenAI answers with audio");
        assertTrue(audio.id().startsWith("audio_") && audio.expiresAt() > t0, audio.toString());
        byte[] wav = Base64.getDecoder().decode(audio.data());
        ByteBuffer h = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("RIFF", new String(wav, 0, 4));
        assertEquals(AudioOut.RATE, h.getInt(24), "24 kHz");
        assertEquals(1, h.getShort(22), "mono");
        byte[] pcm = java.util.Arrays.copyOfRange(wav, 44, wav.length);
        assertTrue(pcm.length > 0, "audio came");
        assertArrayEquals((byte[]) expected[1], pcm, "the audio is the in-process answer's, resampled to 24 kHz");
        System.out.printf("spoken answer: '%s', %.2f s of 24 kHz audio%n", audio.transcript(), pcm.length / 2.0 / AudioOut.RATE);
    }

    @Test
    void streamedSpokenAnswerIsDeltaAudioChunks() {
        StringBuilder transcript = new StringBuilder();
        ByteArrayOutputStream pcm = new ByteArrayOutputStream();
        int audioChunks = 0, firstAudio = -1, lastText = -1, i = 0;
        Long expires = null;
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(ask(ChatCompletionAudioParam.Format.PCM16).build())) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) s.stream()::iterator) {
                i++;
                if (chunk.choices().isEmpty()) continue;
                var delta = chunk.choices().getFirst().delta();
                assertTrue(delta.content().isEmpty() || delta.content().get().isEmpty(), "spoken: the text comes as the audio's transcript");
                var a = delta.audio();
                if (a.isEmpty()) continue;
                if (a.get().transcript().isPresent()) {
                    transcript.append(a.get().transcript().get());
                    lastText = i;
                }
                if (a.get().data().isPresent()) {
                    pcm.writeBytes(Base64.getDecoder().decode(a.get().data().get()));
                    audioChunks++;
                    if (firstAudio < 0) firstAudio = i;
                }
                if (a.get().expiresAt().isPresent()) expires = a.get().expiresAt().get();
            }
        }
        Object[] expected = inProcess();
        assertEquals(expected[0], transcript.toString());
        assertArrayEquals((byte[]) expected[1], pcm.toByteArray(), "the streamed chunks are the whole answer's audio");
        assertTrue(audioChunks > 1 && firstAudio < lastText, audioChunks + " audio chunks, the first at event " + firstAudio + ", the last text at " + lastText + ": audio streams with the text");
        assertNotNull(expires);
    }

    @Test
    void realtimeAnswersAreSpokenAndCanBeTruncated() throws Exception {
        var events = new java.util.concurrent.LinkedBlockingQueue<com.fasterxml.jackson.databind.JsonNode>();
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        StringBuilder partial = new StringBuilder();
        var ws = java.net.http.HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(java.net.URI.create("ws://127.0.0.1:" + server.port() + "/v1/realtime"),
                new java.net.http.WebSocket.Listener() {
                    @Override
                    public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            try {
                                events.add(json.readTree(partial.toString()));
                            } catch (Exception e) {
                                throw new AssertionError(e);
                            }
                            partial.setLength(0);
                        }
                        w.request(1);
                        return null;
                    }
                }).join();
        try {
            var created = events.poll(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals("session.created", created.path("type").asText());
            assertEquals("[\"audio\"]", created.path("session").path("output_modalities").toString(), "a model with a voice speaks by default");
            assertEquals(24_000, created.path("session").path("output_sample_rate").asInt());
            ws.sendText("{\"type\": \"session.update\", \"session\": {\"temperature\": 0, \"max_output_tokens\": 24}}", true).join();
            ws.sendText("{\"type\": \"conversation.item.create\", \"item\": {\"type\": \"message\", \"role\": \"user\", \"content\": [{\"type\": \"input_text\", \"text\": \"Once upon a time\"}]}}", true).join();
            ws.sendText("{\"type\": \"response.create\"}", true).join();
            StringBuilder transcript = new StringBuilder();
            ByteArrayOutputStream pcm = new ByteArrayOutputStream();
            List<String> types = new ArrayList<>();
            com.fasterxml.jackson.databind.JsonNode e, done = null;
            while ((e = events.poll(60, java.util.concurrent.TimeUnit.SECONDS)) != null) {
                String type = e.path("type").asText();
                types.add(type);
                switch (type) {
                    case "response.output_audio_transcript.delta" -> transcript.append(e.path("delta").asText());
                    case "response.output_audio.delta" -> pcm.writeBytes(Base64.getDecoder().decode(e.path("delta").asText()));
                    case "response.output_text.delta" -> fail("a spoken answer streams its transcript, not output_text");
                    default -> { }
                }
                if (type.equals("response.done")) {
                    done = e;
                    break;
                }
            }
            assertNotNull(done, "response.done; saw " + types);
            Object[] expected = inProcess();
            assertEquals(expected[0], transcript.toString());
            assertArrayEquals((byte[]) expected[1], pcm.toByteArray(), "the realtime audio is the in-process answer's at 24 kHz");
            assertTrue(types.indexOf("response.output_audio.delta") < types.lastIndexOf("response.output_audio_transcript.delta"), "audio interleaves with the transcript: " + types);
            assertTrue(types.indexOf("response.output_audio.done") < types.indexOf("response.done") && types.contains("response.output_audio_transcript.done"), types.toString());
            var item = done.path("response").path("output").path(0);
            assertEquals("completed", done.path("response").path("status").asText());
            assertEquals("output_audio", item.path("content").path(0).path("type").asText());
            assertEquals(expected[0], item.path("content").path(0).path("transcript").asText());
            ws.sendText("{\"type\": \"conversation.item.truncate\", \"item_id\": \"" + item.path("id").asText() + "\", \"content_index\": 0, \"audio_end_ms\": 5}", true).join();
            var truncated = events.poll(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals("conversation.item.truncated", truncated.path("type").asText(), truncated.toString());
            assertEquals(5, truncated.path("audio_end_ms").asInt());
            ws.sendText("{\"type\": \"conversation.item.truncate\", \"item_id\": \"item_nope\", \"content_index\": 0, \"audio_end_ms\": 5}", true).join();
            assertEquals("item_not_found", events.poll(30, java.util.concurrent.TimeUnit.SECONDS).path("error").path("code").asText());
        } finally {
            ws.abort();
        }
    }

    @Test
    void spokenAndTextAnswersShareTheBatch() throws Exception {
        Object[] expected = inProcess();
        String text;
        try (SpeechSession s = TestModel.voiced().newSession()) {
            text = s.respond(Turn.user(Turn.text("The little dog")), SamplingOptions.greedy(40), e -> {}).text();
        }
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<ChatCompletion>> spoken = new ArrayList<>(), plain = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                spoken.add(pool.submit(() -> client.chat().completions().create(ask(ChatCompletionAudioParam.Format.PCM16).build())));
                plain.add(pool.submit(() -> client.chat().completions().create(ChatCompletionCreateParams.builder().model(TestModel.ID)
                        .addUserMessage("The little dog").temperature(0.0).maxCompletionTokens(40).build())));
            }
            for (var f : spoken) {
                ChatCompletionAudio a = f.get().choices().getFirst().message().audio().orElseThrow();
                assertEquals(expected[0], a.transcript());
                assertArrayEquals((byte[]) expected[1], Base64.getDecoder().decode(a.data()), "spoken in a batch as alone");
            }
            for (var f : plain) assertEquals(text, f.get().choices().getFirst().message().content().orElseThrow());
        }
    }

    @Test
    void badAudioRequestsAre400s() {
        var e = assertThrows(BadRequestException.class, () -> client.chat().completions().create(ask(ChatCompletionAudioParam.Format.MP3).build()));
        assertEquals("invalid_value", e.code().orElseThrow());
        assertTrue(e.getMessage().contains("wav or pcm16"), e.getMessage());
        e = assertThrows(BadRequestException.class, () -> {
            try (var s = client.chat().completions().createStreaming(ask(ChatCompletionAudioParam.Format.WAV).build())) {
                s.stream().count();
            }
        });
        assertTrue(e.getMessage().contains("pcm16"), e.getMessage());
    }

    @Test
    void streamedResamplingEqualsTheWhole() {
        float[] x = new float[16_000];
        for (int i = 0; i < x.length; i++) x[i] = (float) (0.5 * Math.sin(i * 0.05) + 0.1 * Math.sin(i * 1.3));
        AudioOut whole = new AudioOut(16_000, true), streamed = new AudioOut(16_000, true);
        whole.push(x);
        whole.finish();
        for (int at = 0, n = 1; at < x.length; at += n, n = n * 3 % 2000 + 7) streamed.push(java.util.Arrays.copyOfRange(x, at, Math.min(x.length, at + n)));
        streamed.finish();
        assertArrayEquals(whole.pcm16(), streamed.pcm16());
        assertEquals(24_000 * 2, whole.pcm16().length, "1 s at 24 kHz");
    }
}
