package dev.auris.train.eval;

import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.audio.Wav;
import dev.auris.core.Torch;
import dev.auris.pipeline.Event;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechSession;
import dev.auris.pipeline.Transcriber;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;
import dev.auris.speech.SpeechHead;
import dev.auris.train.voice.UnitCodebook;
import dev.auris.train.voice.UnitFeatures;
import dev.auris.train.voice.VoiceData;
import dev.auris.units.Codebook;
import org.bytedeco.javacpp.PointerScope;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model's voice on held-out spoken prompts ({@code voice.jsonl}: a prompt's text and its speech, as
 * {@link VoiceData} writes them), all heard by the model's own recognizer ({@code auris transcribe}'s default):
 * <ul>
 *   <li>spoken answers: the prompt heard, the answer written and spoken as it streams (every Ω units), the
 *       audio transcribed and scored against the text answer;</li>
 *   <li>units resynthesis: the held-out prompt speech → the model's units ({@code speech/units}) → the
 *       vocoder → the recognizer, against the prompt's text; beside it the recognizer on the prompt speech
 *       itself (the floor the vocoder cannot beat);</li>
 *   <li>the vocoder's real-time factor on whole utterances and streamed, and the first audio after the end of
 *       the user's speech, split into hearing (encoding), first token and first chunk.</li>
 * </ul>
 * Figures are NaN without clips; the streamed RTF and first audio average the answers that made audio. {@code answer} keeps one spoken answer's samples for the report's spectrogram.
 */
public record Voice(int clips, long words, long spokenErrors, long promptWords, boolean resynthesized, long resynthErrors, long floorErrors,
                    double rtfWhole, double rtfStreamed, double encodeMs, double firstTokenMs, double firstAudioMs,
                    float[] answer, int sampleRate, String answerText, List<Map<String, Object>> rows) {

    public double spokenWer() { return clips == 0 ? Double.NaN : (double) spokenErrors / Math.max(1, words); }

    public double resynthWer() { return clips == 0 || !resynthesized ? Double.NaN : (double) resynthErrors / Math.max(1, promptWords); }

    public double floorWer() { return clips == 0 ? Double.NaN : (double) floorErrors / Math.max(1, promptWords); }

    /** No voice measured: the model has no speech head, or there is no voice.jsonl. */
    static Voice none() {
        return new Voice(0, 0, 0, 0, false, 0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, new float[0], 16000, "", List.of());
    }

    /**
     * Measures {@code model}'s speech head on {@code manifest} (at most {@code limit} prompts, 0: all; none when the
     * model cannot speak or the file is missing), answering ≤ {@code answerTokens} tokens greedily; each spoken
     * answer and resynthesis is written into {@code wavDir} (null: not written).
     */
    public static Voice measure(SpeechLlm model, Path manifest, int limit, int answerTokens, Path wavDir) {
        if (model.speech().isEmpty() || !Files.isRegularFile(manifest)) return none();
        SpeechHead head = model.speech().get();
        Path unitsDir = unitsDir(model);
        Codebook cb = Files.isRegularFile(unitsDir.resolve("codebook.safetensors")) ? UnitCodebook.load(unitsDir) : null;   // a released model ships none
        try {
            UnitFeatures features = cb == null ? null : UnitFeatures.of(UnitCodebook.spec(unitsDir), model);
            Transcriber asr = model.transcriber(Transcriber.Kind.defaultFor(model));
            List<VoiceData.Item> items = VoiceData.items(manifest);
            if (limit > 0 && items.size() > limit) items = items.subList(0, limit);
            List<Map<String, Object>> rows = new ArrayList<>();
            long words = 0, spokenErr = 0, promptWords = 0, resynthErr = 0, floorErr = 0;
            double vocNanos = 0, vocSeconds = 0, rtfStream = 0, encode = 0, firstToken = 0, first = 0;
            float[] sample = new float[0];
            String sampleText = "";
            int n = 0, spoke = 0;
            for (VoiceData.Item it : items) {
                try (PointerScope scope = new PointerScope(); SpeechSession session = model.newSession()) {
                    AudioClip prompt = Audio.load(manifest.resolveSibling(it.promptAudio()));
                    List<float[]> chunks = new ArrayList<>();
                    Event.Done done = session.respond(Turn.user(Turn.speech(prompt)), SamplingOptions.greedy(answerTokens), head,
                            e -> { if (e instanceof Event.AudioChunk a) chunks.add(a.samples()); });
                    AudioClip spoken = new AudioClip(concat(chunks), head.vocoder().sampleRate());
                    String heard = spoken.samples().length < 800 ? "" : asr.transcribe(spoken, 64);
                    long[] units = cb == null ? new long[0] : Codebook.dedup(Torch.toLongs(cb.assign(features.frames(prompt))));
                    AudioClip resynth = null;
                    String reheard = "";
                    if (cb != null) {
                        long t0 = System.nanoTime();
                        resynth = new AudioClip(head.vocoder().vocode(units), head.vocoder().sampleRate());
                        vocNanos += System.nanoTime() - t0;
                        vocSeconds += resynth.seconds();
                        reheard = asr.transcribe(resynth, 64);
                    }
                    String floorHeard = asr.transcribe(prompt, 64);
                    int sw = Wer.words(done.text()).length, pw = Wer.words(it.prompt()).length;
                    int se = Wer.errors(done.text(), heard), re = cb == null ? 0 : Wer.errors(it.prompt(), reheard), fe = Wer.errors(it.prompt(), floorHeard);
                    if (wavDir != null) {
                        Wav.write(wavDir.resolve(String.format("spoken-%04d.wav", it.line())), spoken);
                        if (resynth != null) Wav.write(wavDir.resolve(String.format("resynth-%04d.wav", it.line())), resynth);
                    }
                    if (spoken.seconds() > sample.length / (double) head.vocoder().sampleRate() && sampleText.length() < 200) {
                        sample = spoken.samples();
                        sampleText = done.text();
                    }
                    words += sw;
                    promptWords += pw;
                    spokenErr += se;
                    resynthErr += re;
                    floorErr += fe;
                    if (Double.isFinite(done.firstAudioMs())) {                           // an answer the decoder gave no units has no audio to time
                        rtfStream += done.vocoderRtf();
                        first += done.firstAudioMs();
                        spoke++;
                    }
                    encode += done.encodeMs();
                    firstToken += done.firstTokenMs();
                    n++;
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("task", "voice");
                    row.put("line", it.line());
                    row.put("prompt", it.prompt());
                    row.put("answer", done.text());
                    row.put("spoken_heard", heard);
                    row.put("spoken_errors", se);
                    row.put("words", sw);
                    row.put("resynth_heard", reheard);
                    row.put("resynth_errors", re);
                    row.put("prompt_heard", floorHeard);
                    row.put("prompt_errors", fe);
                    row.put("prompt_words", pw);
                    row.put("prompt_audio", manifest.resolveSibling(it.promptAudio()).toString());
                    row.put("units", units.length);
                    row.put("first_audio_ms", done.firstAudioMs());
                    row.put("vocoder_rtf", done.vocoderRtf());
                    rows.add(row);
                }
            }
            int d = Math.max(1, n);
            return new Voice(n, words, spokenErr, promptWords, cb != null, resynthErr, floorErr, n == 0 || cb == null ? Double.NaN : vocNanos / 1e9 / Math.max(1e-9, vocSeconds),
                    spoke == 0 ? Double.NaN : rtfStream / spoke, n == 0 ? Double.NaN : encode / d, n == 0 ? Double.NaN : firstToken / d,
                    spoke == 0 ? Double.NaN : first / spoke, sample, head.vocoder().sampleRate(), sampleText, List.copyOf(rows));
        } finally {
            if (cb != null) cb.centroids().close();
        }
    }

    /** The model's unit codebook directory (auris.json's speech.units, else speech/units). */
    static Path unitsDir(SpeechLlm model) {
        var s = model.spec().speech();
        String rel = s != null && s.units() != null ? s.units() : "speech/units";
        return model.dir().resolve(rel);
    }

    private static float[] concat(List<float[]> chunks) {
        int len = 0;
        for (float[] c : chunks) len += c.length;
        float[] out = new float[len];
        int o = 0;
        for (float[] c : chunks) {
            System.arraycopy(c, 0, out, o, c.length);
            o += c.length;
        }
        return out;
    }
}
