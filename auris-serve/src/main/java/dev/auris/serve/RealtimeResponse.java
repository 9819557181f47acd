package dev.auris.serve;

import dev.auris.pipeline.Event;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechSession;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;
import dev.auris.speech.SpeechHead;

import java.util.List;
import java.util.UUID;

/**
 * One realtime response: admitted to the {@link InferencePool} like any request, streamed as
 * {@code response.output_text.delta}, or when spoken as {@code response.output_audio.delta} (pcm16, 24 kHz) with
 * {@code response.output_audio_transcript.delta}, ended by exactly one {@code response.done} whose status says how
 * (completed, cancelled by response.cancel / barge-in / a closed socket, or failed with an error event first).
 * It runs on a virtual thread of its own so the socket keeps reading while the answer streams.
 */
final class RealtimeResponse {
    private final RealtimeConnection conn;
    private final List<Turn> past;
    private final Turn question;
    private final String userItem;
    private final SamplingOptions sampling;
    private final InferencePool.Token token = new InferencePool.Token();
    private final String id = "resp_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    private final String itemId = "item_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    private final StringBuilder said = new StringBuilder();
    private final SpeechHead voice;           // null: a text answer
    private long audioSamples;                // sent, at 24 kHz

    RealtimeResponse(RealtimeConnection conn, List<Turn> past, Turn question, String userItem, SamplingOptions sampling, SpeechHead voice) {
        this.voice = voice;
        this.conn = conn;
        this.past = past;
        this.question = question;
        this.userItem = userItem;
        this.sampling = sampling;
    }

    void start() {
        conn.send(new RealtimeEvent.ResponseCreated(new RealtimeEvent.Response(id, "realtime.response", "in_progress", List.of(), null)));
        Thread.ofVirtual().name("auris-realtime-" + id).start(this::run);
    }

    void cancel(String why) { token.cancel(why); }

    private void run() {
        String status = "completed";
        int[] usage = {0, 0};
        try {
            conn.pool().call(conn.config().requestTimeout(), token, t -> {
                answer(t, usage);
                return null;
            });
        } catch (InferencePool.Cancelled | ClientGone c) {
            status = "cancelled";
        } catch (ApiError e) {
            status = "failed";
            sendQuietly(new RealtimeEvent.Error(new RealtimeEvent.ErrorDetail(e.body().error().type(), e.body().error().code(), e.getMessage(), null, null)));
        } catch (RuntimeException e) {
            status = "failed";
            sendQuietly(RealtimeEvent.error("response_failed", "the response failed: " + e.getMessage(), null));
        } finally {
            String text = said.toString();
            conn.finished(this, text, itemId, audioSamples * 1000 / AudioOut.RATE);
            if (status.equals("completed") && voice == null) sendQuietly(new RealtimeEvent.TextDone(id, itemId, 0, 0, text));
            if (status.equals("completed") && voice != null) {
                sendQuietly(new RealtimeEvent.AudioDone(id, itemId, 0, 0));
                sendQuietly(new RealtimeEvent.TranscriptDone(id, itemId, 0, 0, text));
            }
            var item = new RealtimeEvent.Item(itemId, "message", "assistant", status.equals("completed") ? "completed" : "incomplete",
                    List.of(voice == null ? new RealtimeEvent.Content("output_text", text, null) : new RealtimeEvent.Content("output_audio", null, text)));
            sendQuietly(new RealtimeEvent.ResponseDone(new RealtimeEvent.Response(id, "realtime.response", status, List.of(item),
                    new RealtimeEvent.Usage(usage[0], usage[1], usage[0] + usage[1]))));
        }
    }

    /**
     * On the inference thread: the answer, then the input's transcript when asked for (after, so it does not
     * delay the first token; a model that hears clips as their transcript has it already); each session lives
     * for its call only.
     */
    private void answer(InferencePool.Token t, int[] usage) {
        SpeechLlm m = conn.model();
        try (SpeechSession s = m.newSession(conn.heard())) {
            past.forEach(s::add);
            var decode = conn.batch().new Answer(t);
            AudioOut out = voice == null ? null : new AudioOut(voice.vocoder().sampleRate(), false);
            Event.Done d = s.respond(question, sampling, voice, decode, decode.sink(e -> {
                t.check();
                switch (e) {
                    case Event.TextDelta td -> {
                        said.append(td.text());
                        conn.send(voice == null ? new RealtimeEvent.TextDelta(id, itemId, 0, 0, td.text()) : new RealtimeEvent.TranscriptDelta(id, itemId, 0, 0, td.text()));
                    }
                    case Event.AudioChunk c -> sendAudio(out.push(c.samples()));
                    default -> { }
                }
            }));
            if (out != null) sendAudio(out.finish());
            usage[1] = d.tokens();
            usage[0] = Math.max(0, s.position() - d.tokens());
        }
        if (!conn.transcribeInput()) return;
        for (Turn.Part p : question.parts()) {
            if (p instanceof Turn.Speech sp) {
                t.check();
                String transcript = conn.heard().transcript(sp)
                        .orElseGet(() -> m.transcriber(dev.auris.pipeline.Transcriber.Kind.defaultFor(m)).transcribe(sp.clip(), Transcriptions.MAX_TOKENS));
                conn.send(new RealtimeEvent.TranscriptionCompleted(userItem, 0, transcript));
            }
        }
    }

    private void sendAudio(byte[] pcm16) {
        if (pcm16.length == 0) return;
        audioSamples += pcm16.length / 2;
        conn.send(new RealtimeEvent.AudioDelta(id, itemId, 0, 0, java.util.Base64.getEncoder().encodeToString(pcm16)));
    }

    private void sendQuietly(RealtimeEvent e) {
        try {
            conn.send(e);
        } catch (RuntimeException gone) {
            // the socket closed: nobody to tell
        }
    }
}
