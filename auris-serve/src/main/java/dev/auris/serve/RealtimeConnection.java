package dev.auris.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auris.audio.AudioClip;
import dev.auris.audio.Resampler;
import dev.auris.pipeline.HeardClips;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;

import java.util.*;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One realtime conversation. Client events: {@code session.update}, {@code input_audio_buffer.append} (base64
 * pcm16 mono, 24 kHz as OpenAI's, resampled to 16 kHz here), {@code input_audio_buffer.commit} / {@code clear},
 * {@code conversation.item.create} (user text), {@code response.create}, {@code response.cancel}. With
 * {@code turn_detection} {@code server_vad} (the default) the {@link Vad} (Silero, or the energy fallback) ends a turn by itself:
 * speech_started / speech_stopped, commit, and a response; speech while an answer streams cancels it
 * (barge-in). Each response opens its own SpeechSession on an inference thread and closes it at the end, the
 * conversation so far replayed as history, so no native memory outlives a response; what its clips were heard as
 * is kept on the heap ({@link HeardClips}), so a past clip is not heard again. When the detector hears a pause
 * ({@link Vad.Paused}), the speech so far is heard ahead on an idle inference thread while the detector waits to
 * be sure; if the turn does end there, the clip committed is that speech (the silence after the pause left out) and
 * the response finds it heard.
 */
final class RealtimeConnection {
    static final int INPUT_RATE = 24_000;
    private static final int MAX_HISTORY_TURNS = 16;
    private static final AtomicLong IDS = new AtomicLong();

    private final SpeechLlm model;
    private final String modelId;
    private final ServeConfig config;
    private final InferencePool pool;
    private final BatchLoop batch;
    private final Consumer<String> out;
    private final String id = "sess_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    private final List<Turn> history = new ArrayList<>();
    private final HeardClips heard;
    private float[] buffer = new float[0];    // 24 kHz, since the last commit
    private Ahead ahead;                      // the speech before the current pause, heard ahead
    private String lastItemId;
    private String instructions;
    private boolean serverVad = true, createResponse = true, interrupt = true, transcribeInput;
    private double threshold = 0.5, thresholdDb = 12, temperature = 0.8;
    private int silenceMs = 500, maxOutputTokens = ChatTurns.UNBOUNDED;
    private Vad vad = newVad(threshold, thresholdDb, silenceMs);
    private RealtimeResponse active;
    private boolean speak;                     // answers spoken (output_modalities ["audio"]): by default when the model has a voice
    private Spoken lastSpoken;                 // the last spoken answer, for conversation.item.truncate

    /** The buffer up to a pause whose silence began at {@code silenceMs}, as the clip that is heard ahead. */
    private record Ahead(long silenceMs, Turn.Speech speech) {}

    /** A spoken answer as the conversation keeps it: its item, its audio's length, and its turn in the history. */
    private record Spoken(String itemId, long audioMs, Turn turn) {}

    RealtimeConnection(SpeechLlm model, String modelId, ServeConfig config, InferencePool pool, BatchLoop batch, Consumer<String> out) {
        this.batch = batch;
        this.speak = model.speech().isPresent();
        this.model = model;
        this.modelId = modelId;
        this.config = config;
        this.pool = pool;
        this.out = out;
        this.heard = new HeardClips(model);
    }

    synchronized void opened() { send(new RealtimeEvent.SessionCreated(session())); }

    synchronized void closed() {
        if (active != null) active.cancel("client gone");
    }

    synchronized void onMessage(String text) {
        String eventId = null;
        try {
            JsonNode tree = RealtimeClientEvent.tree(text);
            eventId = tree.path("event_id").isTextual() ? tree.path("event_id").asText() : null;
            switch (RealtimeClientEvent.of(tree)) {
                case RealtimeClientEvent.SessionUpdate u -> update(u);
                case RealtimeClientEvent.Append a -> append(a.pcm16());
                case RealtimeClientEvent.Commit c -> commit();
                case RealtimeClientEvent.Clear c -> {
                    buffer = new float[0];
                    ahead = null;
                    vad.reset();
                    send(new RealtimeEvent.Cleared());
                }
                case RealtimeClientEvent.CreateItem i -> createItem(i.text());
                case RealtimeClientEvent.CreateResponse r -> respond();
                case RealtimeClientEvent.CancelResponse c -> {
                    if (active == null) throw ApiError.invalid("no response is in progress to cancel", null, "response_cancel_not_active");
                    active.cancel("response.cancel");
                }
                case RealtimeClientEvent.Truncate t -> truncate(t);
            }
        } catch (ApiError err) {
            send(new RealtimeEvent.Error(new RealtimeEvent.ErrorDetail(err.body().error().type(), err.body().error().code(), err.getMessage(), err.body().error().param(), eventId)));
        }
    }

    private void update(RealtimeClientEvent.SessionUpdate u) {
        if (Boolean.TRUE.equals(u.speak()) && model.speech().isEmpty()) {
            throw ApiError.invalid(modelId + " answers in text only: it has no voice (its auris.json has no speech section); use output_modalities [\"text\"]",
                    "session.output_modalities", "audio_output_unsupported");
        }
        RealtimeClientEvent.TurnDetection td = u.turnDetection();
        Vad newVad = vad;
        if (td != null) { // checked before anything changes, so a refused update leaves the session as it was
            try {
                newVad = newVad(td.threshold() != null ? td.threshold() : threshold, td.thresholdDb() != null ? td.thresholdDb() : thresholdDb,
                        td.silenceMs() != null ? td.silenceMs() : silenceMs);
            } catch (IllegalArgumentException ex) {
                throw ApiError.invalid(ex.getMessage(), "session.turn_detection", "invalid_value");
            }
        }
        if (u.setInstructions()) instructions = u.instructions();
        if (u.temperature() != null) temperature = u.temperature();
        if (u.maxOutputTokens() != null) maxOutputTokens = u.maxOutputTokens();
        if (u.speak() != null) speak = u.speak();
        if (u.transcribeInput() != null) transcribeInput = u.transcribeInput();
        if (u.setTurnDetection()) serverVad = td != null;
        if (td != null) {
            if (td.silenceMs() != null) silenceMs = td.silenceMs();
            if (td.threshold() != null) threshold = td.threshold();
            if (td.thresholdDb() != null) thresholdDb = td.thresholdDb();
            if (td.createResponse() != null) createResponse = td.createResponse();
            if (td.interruptResponse() != null) interrupt = td.interruptResponse();
            vad = newVad;
        }
        send(new RealtimeEvent.SessionUpdated(session()));
    }

    /** Silero when ONNX Runtime runs here, else the energy detector. */
    static Vad newVad(double threshold, double thresholdDb, int silenceMs) {
        Vad silero = SileroVad.create(threshold, silenceMs);
        return silero != null ? silero : new EnergyVad(Vad.RATE, thresholdDb, silenceMs);
    }

    private RealtimeEvent.Session session() {
        return new RealtimeEvent.Session(id, "realtime.session", modelId, List.of(speak ? "audio" : "text"), instructions,
                serverVad ? new RealtimeEvent.TurnDetection("server_vad", vad.name(), threshold, thresholdDb, silenceMs, createResponse, interrupt) : null, "pcm16", INPUT_RATE,
                speak ? "pcm16" : null, speak ? AudioOut.RATE : null);
    }

    private void append(byte[] pcm16) {
        float[] x = new float[pcm16.length / 2];
        for (int i = 0; i < x.length; i++) x[i] = (short) ((pcm16[2 * i] & 0xFF) | (pcm16[2 * i + 1] << 8)) / 32768f;
        if ((buffer.length + x.length) / (double) INPUT_RATE > config.maxAudioSeconds()) {
            buffer = new float[0];
            ahead = null;
            vad.reset();
            throw ApiError.invalid("the input audio buffer passed " + (int) config.maxAudioSeconds() + " s without a commit: it was cleared", "audio", "audio_too_long");
        }
        float[] grown = Arrays.copyOf(buffer, buffer.length + x.length);
        System.arraycopy(x, 0, grown, buffer.length, x.length);
        buffer = grown;
        if (!serverVad) return;
        for (Vad.Change c : vad.feed(Resampler.resample(x, INPUT_RATE, Vad.RATE))) {
            switch (c) {
                case Vad.Started st -> {
                    if (active != null && interrupt) active.cancel("barge-in"); // the user speaks over the answer
                    send(new RealtimeEvent.SpeechStarted(st.ms(), "item_" + (IDS.get() + 1)));
                }
                case Vad.Paused p -> hearAhead(p.ms());
                case Vad.Stopped sp -> {
                    send(new RealtimeEvent.SpeechStopped(sp.ms(), "item_" + (IDS.get() + 1)));
                    commit(ahead != null && ahead.silenceMs() == sp.ms() ? ahead : null);
                    if (createResponse && active == null) respond();
                }
            }
        }
    }

    /**
     * The speech before a pause, heard now on an inference thread if one is idle (never in a request's place in
     * the queue, never while an answer streams); a later pause in the same turn replaces it.
     */
    private void hearAhead(long silenceMs) {
        ahead = null;
        if (active != null || buffer.length < INPUT_RATE / 10) return;
        Ahead a = new Ahead(silenceMs, Turn.speech(clip(buffer)));
        if (pool.offer(() -> heard.hearAhead(a.speech()))) ahead = a;
    }

    private static AudioClip clip(float[] input) {
        return new AudioClip(Resampler.resample(input, INPUT_RATE, AudioClip.SAMPLE_RATE), AudioClip.SAMPLE_RATE);
    }

    private void commit() { commit(null); }

    /** Commits the buffer, or with {@code cut} the speech heard ahead before the pause that ended the turn. */
    private void commit(Ahead cut) {
        if (buffer.length < INPUT_RATE / 10) {
            throw ApiError.invalid("the input audio buffer holds " + buffer.length * 1000 / INPUT_RATE + " ms: commit at least 100 ms of audio", null, "input_audio_buffer_commit_empty");
        }
        Turn.Speech speech = cut != null ? cut.speech() : Turn.speech(clip(buffer));
        buffer = new float[0];
        ahead = null;
        vad.reset();
        String item = "item_" + IDS.incrementAndGet();
        addTurn(Turn.user(speech));
        send(new RealtimeEvent.Committed(lastItemId, item));
        send(new RealtimeEvent.ItemCreated(lastItemId, new RealtimeEvent.Item(item, "message", "user", "completed",
                List.of(new RealtimeEvent.Content("input_audio", null, null)))));
        lastItemId = item;
    }

    private void createItem(String text) {
        String id = "item_" + IDS.incrementAndGet();
        addTurn(Turn.user(Turn.text(text)));
        send(new RealtimeEvent.ItemCreated(lastItemId, new RealtimeEvent.Item(id, "message", "user", "completed",
                List.of(new RealtimeEvent.Content("input_text", text, null)))));
        lastItemId = id;
    }

    private void addTurn(Turn t) {
        history.add(t);
        while (history.size() > MAX_HISTORY_TURNS) history.removeFirst();
        List<Turn.Speech> live = new ArrayList<>(history.stream().flatMap(turn -> turn.parts().stream()).filter(p -> p instanceof Turn.Speech).map(p -> (Turn.Speech) p).toList());
        if (ahead != null) live.add(ahead.speech());
        heard.retain(live);
    }

    private void respond() {
        if (active != null) throw ApiError.invalid("a response is already in progress: cancel it or wait for response.done", null, "conversation_already_has_active_response");
        if (history.isEmpty() || !history.getLast().role().equals("user")) {
            throw ApiError.invalid("nothing to answer: commit audio or create a user item first", null, "no_user_input");
        }
        List<Turn> past = new ArrayList<>(history.subList(0, history.size() - 1));
        if (instructions != null && !instructions.isBlank()) past.addFirst(new Turn("system", List.of(Turn.text(instructions))));
        var sampling = new SamplingOptions(temperature, 0, 1, 0, 1, new Random().nextLong(), maxOutputTokens, Set.of(), List.of());
        active = new RealtimeResponse(this, past, history.getLast(), lastItemId, sampling, speak ? model.speech().orElseThrow() : null);
        active.start();
    }

    /**
     * Called by the response when it ends, whatever the reason; its answer (or what was said of it) joins the
     * history. A spoken one is remembered with its audio's length, for conversation.item.truncate.
     */
    synchronized void finished(RealtimeResponse r, String text, String itemId, long audioMs) {
        if (active == r) active = null;
        if (text == null || text.isEmpty()) return;
        Turn t = Turn.assistant(text);
        addTurn(t);
        lastSpoken = audioMs > 0 ? new Spoken(itemId, audioMs, t) : null;
    }

    /**
     * The client stopped playing the last spoken answer at {@code audio_end_ms} (the user spoke over it): the
     * answer's transcript in the conversation is cut to about what was heard — the same share of its words as
     * of its audio, since the voice gives no word timings — so the model does not remember saying the rest.
     */
    private void truncate(RealtimeClientEvent.Truncate e) {
        String item = e.itemId();
        if (lastSpoken == null || !lastSpoken.itemId().equals(item)) {
            throw ApiError.invalid(model.speech().isEmpty() ? "conversation.item.truncate cuts a spoken answer's audio, and " + modelId + " answers in text only: nothing to truncate"
                    : "no spoken answer '" + item + "' to truncate: only the last spoken answer can be cut", "item_id", model.speech().isEmpty() ? "truncate_unsupported" : "item_not_found");
        }
        long end = e.audioEndMs();
        int at = history.indexOf(lastSpoken.turn());
        if (at >= 0 && end < lastSpoken.audioMs()) {
            String text = ((Turn.Text) lastSpoken.turn().parts().getFirst()).text();
            String[] words = text.trim().split("\\s+");
            int keep = (int) Math.floor(words.length * (double) end / lastSpoken.audioMs());
            Turn cut = Turn.assistant(String.join(" ", java.util.Arrays.copyOf(words, keep)));
            if (keep == 0) history.remove(at);
            else history.set(at, cut);
            lastSpoken = keep == 0 ? null : new Spoken(item, end, cut);
        }
        send(new RealtimeEvent.ItemTruncated(item, e.contentIndex(), end));
    }

    // what a response needs from the connection
    SpeechLlm model() { return model; }

    InferencePool pool() { return pool; }

    BatchLoop batch() { return batch; }

    HeardClips heard() { return heard; }

    ServeConfig config() { return config; }

    boolean transcribeInput() { return transcribeInput; }

    void send(RealtimeEvent e) { out.accept(Json.write(e)); }
}
