package dev.auris.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.audio.Audio;
import dev.auris.audio.Resampler;
import dev.auris.core.Home;
import dev.auris.pipeline.SpeechLlm;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A realtime conversation hears the user's speech during the pause that ends the turn, before the detector is
 * sure, and the response finds it heard; past clips are recalled at the next turn instead of heard again.
 * Driven on the connection itself, so what was heard where can be counted ({@link dev.auris.pipeline.HeardClips}).
 */
class ServeHearAheadTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** A connection's events, in order. */
    record Events(BlockingQueue<JsonNode> queue) {
        List<JsonNode> until(String type) throws InterruptedException {
            List<JsonNode> out = new ArrayList<>();
            while (true) {
                JsonNode e = queue.poll(120, TimeUnit.SECONDS);
                assertNotNull(e, "no " + type + " within 120 s; got " + out);
                out.add(e);
                if (e.path("type").asText().equals(type)) return out;
            }
        }
    }

    static RealtimeConnection connect(SpeechLlm m, InferencePool pool, BatchLoop batch, Events events) {
        var c = new RealtimeConnection(m, TestModel.ID, ServeConfig.defaults(), pool, batch, json -> {
            try {
                events.queue().add(JSON.readTree(json));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        c.opened();
        return c;
    }

    @Test
    void theSpeechIsHeardDuringThePauseAndPastClipsAreNotHeardAgain() throws Exception {
        SpeechLlm m = TestModel.get();
        try (InferencePool pool = new InferencePool(1, 4); BatchLoop batch = new BatchLoop(m.llm())) {
            Events events = new Events(new LinkedBlockingQueue<>());
            RealtimeConnection c = connect(m, pool, batch, events);
            c.onMessage("{\"type\": \"session.update\", \"session\": {\"temperature\": 0, \"max_output_tokens\": 8, \"input_audio_transcription\": {\"model\": \"tiny\"}}}");
            for (int turn = 1; turn <= 2; turn++) {
                for (String a : ServeRealtimeTest.appends(new float[]{0.5f, 1.0f})) c.onMessage(a);
                List<JsonNode> got = events.until("response.done");
                List<String> types = ServeRealtimeTest.types(got);
                assertTrue(types.contains("input_audio_buffer.speech_stopped") && types.contains("response.output_text.delta"), types.toString());
                assertEquals("completed", got.getLast().path("response").path("status").asText());
                String transcript = got.stream().filter(e -> e.path("type").asText().equals("conversation.item.input_audio_transcription.completed"))
                        .findFirst().orElseThrow().path("transcript").asText();
                assertFalse(transcript.isBlank(), "the transcript the clip was heard as");
            }
            // turn 1: its clip heard ahead (1 recall); turn 2: turn 1's clip recalled and its own heard ahead (2 more): none heard in a response
            assertArrayEquals(new int[]{3, 0}, c.heard().hitsAndMisses());
            assertEquals(2, c.heard().size());
        }
    }

    @Test
    void withoutTheDetectorTheResponseHearsTheClipItself() throws Exception {
        SpeechLlm m = TestModel.get();
        try (InferencePool pool = new InferencePool(1, 4); BatchLoop batch = new BatchLoop(m.llm())) {
            Events events = new Events(new LinkedBlockingQueue<>());
            RealtimeConnection c = connect(m, pool, batch, events);
            c.onMessage("{\"type\": \"session.update\", \"session\": {\"turn_detection\": null, \"temperature\": 0, \"max_output_tokens\": 8}}");
            for (String a : ServeRealtimeTest.appends(new float[]{0.5f, 1.0f})) c.onMessage(a);
            c.onMessage("{\"type\": \"input_audio_buffer.commit\"}");
            c.onMessage("{\"type\": \"response.create\"}");
            assertEquals("completed", events.until("response.done").getLast().path("response").path("status").asText());
            assertArrayEquals(new int[]{0, 1}, c.heard().hitsAndMisses());
        }
    }

    @Test
    void speechAfterThePauseIsNotLeftOut() throws Exception {
        // two utterances 300 ms apart are one turn: the first pause's clip is heard ahead but the turn ends later,
        // so the committed clip is the whole buffer's (both utterances), heard in the response
        SpeechLlm m = TestModel.get();
        try (InferencePool pool = new InferencePool(1, 4); BatchLoop batch = new BatchLoop(m.llm())) {
            Events events = new Events(new LinkedBlockingQueue<>());
            RealtimeConnection c = connect(m, pool, batch, events);
            c.onMessage("{\"type\": \"session.update\", \"session\": {\"temperature\": 0, \"max_output_tokens\": 8}}");
            float[] story = Resampler.resample(Audio.load(TestModel.story3()).samples(), 16_000, 24_000), spoken = Arrays.copyOf(story, (int) (1.95 * 24_000));
            float[] all = new float[12_000 + 2 * spoken.length + 7_200 + 24_000];   // 0.5 s, speech to 1.9 s, 0.35 s quiet, again, 1 s quiet
            System.arraycopy(spoken, 0, all, 12_000, spoken.length);
            System.arraycopy(spoken, 0, all, 12_000 + spoken.length + 7_200, spoken.length);
            Vad vad = RealtimeConnection.newVad(0.5, 12, 500);                       // what the connection's detector makes of it
            List<Vad.Change> changes = new ArrayList<>();
            for (int off = 0; off < all.length; off += 2400) changes.addAll(vad.feed(Resampler.resample(Arrays.copyOfRange(all, off, Math.min(all.length, off + 2400)), 24_000, 16_000)));
            assertEquals(List.of(Vad.Started.class, Vad.Paused.class, Vad.Paused.class, Vad.Stopped.class), changes.stream().map(Object::getClass).toList(),
                    "a pause between the utterances, and the one that ends the turn: " + changes);
            for (String a : ServeRealtimeTest.pcm16Appends(all)) c.onMessage(a);
            List<String> types = ServeRealtimeTest.types(events.until("response.done"));
            assertEquals(1, types.stream().filter(t -> t.equals("input_audio_buffer.committed")).count(), types.toString());
            int[] hm = c.heard().hitsAndMisses();
            assertEquals(1, hm[0] + hm[1], "the response heard one clip");
            assertEquals(1, c.heard().size(), "and only the committed clip is kept");
        }
    }

    /** A chat completion whose conversation is a spoken question, an answer and a second spoken question. */
    static String replayed(String first, String answer, String second) {
        return """
                {"model": "tiny", "max_tokens": 8, "temperature": 0, "messages": [
                  {"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "%s", "format": "wav"}}]},
                  {"role": "assistant", "content": "%s"},
                  {"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "%s", "format": "wav"}}]}]}
                """.formatted(first, answer.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"), second);
    }

    @Test
    void aChatClientSendingItsConversationAgainHearsOnlyItsNewClip() {
        String one = TestModel.base64(Home.resolve("examples/story-1.wav")), three = TestModel.base64(TestModel.story3());
        String[] answers = new String[2];
        for (long heardBytes : new long[]{ServeConfig.HEARD_BYTES, 0}) {
            try (Server server = Server.start(TestModel.get(), TestModel.ID, ServeConfig.defaults().withPort(0).withHeardBytes(heardBytes))) {
                Http http = new Http(server.port(), null);
                Http.Response first = http.postJson("/v1/chat/completions", Http.chatWithAudio(one, 8));
                assertEquals(200, first.status(), first.body());
                String said = first.json().path("choices").path(0).path("message").path("content").asText();
                Http.Response second = http.postJson("/v1/chat/completions", replayed(one, said, three));
                assertEquals(200, second.status(), second.body());
                answers[heardBytes == 0 ? 1 : 0] = second.json().path("choices").path(0).path("message").path("content").asText();
                if (heardBytes == 0) {
                    assertNull(server.heard());
                } else {
                    // request 1 heard story-1; request 2 recalled it (sent again as new bytes) and heard story-3
                    assertArrayEquals(new int[]{1, 2}, server.heard().hitsAndMisses());
                    assertEquals(2, server.heard().size());
                }
            }
        }
        assertEquals(answers[1], answers[0], "recalled clips answer as clips heard afresh");
    }
}
