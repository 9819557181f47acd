package dev.auris.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.audio.Wav;
import dev.auris.core.DType;
import dev.auris.io.AtomicFiles;
import dev.auris.pipeline.Event;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechSession;
import dev.auris.pipeline.Transcriber;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;
import dev.auris.speech.CodeHiFiGan;
import dev.auris.speech.SpeechDecoder;
import dev.auris.speech.SpeechHead;
import dev.auris.train.eval.Wer;
import dev.auris.train.voice.UnitCodebook;
import dev.auris.train.voice.UnitFeatures;
import dev.auris.train.voice.VoiceData;
import dev.auris.train.voice.VoiceSpec;
import dev.auris.units.Codebook;
import org.bytedeco.javacpp.PointerScope;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The published voice measured on held-out prompts (never heard in training), with the model's own recognizer
 * ({@code auris transcribe}'s default transcriber): the spoken answers' ASR-WER against the model's text answers
 * (the prompt heard as espeak speech, the answer written and spoken as it streams); the units-resynthesis WER
 * (the held-out answers' espeak speech → units → vocoder → ASR, against the text spoken), beside the WER of the
 * espeak speech itself (the recognizer's floor); the vocoder's real-time factor (whole utterances, and streamed
 * every Ω units) and first-audio latency. Writes {@code voice.json}, every spoken answer as a WAV (for a second
 * recognizer) and the card's "Voice" section.
 */
final class VoiceEval {
    private VoiceEval() {}

    record Figures(int clips, double spokenWer, double resynthWer, double espeakWer, double rtfWhole, double rtfStreamed, double firstAudioMs) {}

    static Figures run(Path modelDir, Path data, List<VoiceData.Item> held, VoiceSpec s, Path out, Progress progress) {
        ObjectMapper json = new ObjectMapper();
        ArrayNode rows = json.createArrayNode();
        long words = 0, spokenErr = 0, resynthErr = 0, espeakErr = 0, refWords = 0;
        double vocNanos = 0, vocSeconds = 0, rtfStream = 0, first = 0;
        int n = 0;
        try (SpeechLlm m = SpeechLlm.load(modelDir, DType.F32);
             SpeechDecoder decoder = SpeechDecoder.load(modelDir.resolve("speech/decoder"), DType.F32);
             CodeHiFiGan vocoder = CodeHiFiGan.load(modelDir.resolve("speech/vocoder/config.json"), modelDir.resolve("speech/vocoder/model.safetensors"))) {
            Codebook cb = UnitCodebook.load(modelDir.resolve("speech/units"));
            UnitFeatures features = UnitFeatures.of(s.units(), m);
            SpeechHead head = new SpeechHead(decoder, vocoder, s.omega());
            Transcriber asr = m.transcriber(Transcriber.Kind.defaultFor(m));
            for (VoiceData.Item it : held.subList(0, Math.min(held.size(), s.evalClips()))) {
                try (PointerScope scope = new PointerScope(); SpeechSession session = m.newSession()) {
                    List<float[]> chunks = new ArrayList<>();
                    Event.Done done = session.respond(Turn.user(Turn.speech(Audio.load(data.resolve(it.promptAudio())))), SamplingOptions.greedy(s.answerTokens()), head,
                            e -> { if (e instanceof Event.AudioChunk a) chunks.add(a.samples()); });
                    AudioClip spoken = new AudioClip(concat(chunks), vocoder.sampleRate());
                    Wav.write(out.resolve("wav/spoken-" + String.format("%04d", it.line()) + ".wav"), spoken);
                    String heard = spoken.samples().length < 800 ? "" : asr.transcribe(spoken, 64);
                    AudioClip original = Audio.load(data.resolve(it.answerAudio()));
                    long[] units = Codebook.dedup(dev.auris.core.Torch.toLongs(cb.assign(features.frames(original))));
                    long t0 = System.nanoTime();
                    AudioClip resynth = new AudioClip(vocoder.vocode(units), vocoder.sampleRate());
                    vocNanos += System.nanoTime() - t0;
                    vocSeconds += resynth.seconds();
                    Wav.write(out.resolve("wav/resynth-" + String.format("%04d", it.line()) + ".wav"), resynth);
                    String reheard = asr.transcribe(resynth, 64), espeakHeard = asr.transcribe(original, 64);
                    int sw = Wer.words(done.text()).length, rw = Wer.words(it.answer()).length;
                    int se = Wer.errors(done.text(), heard), re = Wer.errors(it.answer(), reheard), ee = Wer.errors(it.answer(), espeakHeard);
                    words += sw;
                    refWords += rw;
                    spokenErr += se;
                    resynthErr += re;
                    espeakErr += ee;
                    if (!Double.isNaN(done.vocoderRtf())) rtfStream += done.vocoderRtf();
                    if (!Double.isNaN(done.firstAudioMs())) first += done.firstAudioMs();
                    n++;
                    ObjectNode row = rows.addObject().put("line", it.line()).put("prompt", it.prompt()).put("answer", done.text()).put("spoken_heard", heard)
                            .put("spoken_errors", se).put("words", sw).put("resynth_reference", it.answer()).put("resynth_heard", reheard).put("resynth_errors", re)
                            .put("espeak_heard", espeakHeard).put("espeak_errors", ee).put("ref_words", rw).put("units", units.length)
                            .put("first_audio_ms", done.firstAudioMs()).put("vocoder_rtf", done.vocoderRtf()).put("answer_audio", data.resolve(it.answerAudio()).toString());
                    if (n % 10 == 0) progress.message(String.format(Locale.ROOT, "voice eval: %d clips, spoken WER %.1f %%, resynthesis WER %.1f %%", n,
                            100.0 * spokenErr / Math.max(1, words), 100.0 * resynthErr / Math.max(1, refWords)));
                }
            }
            cb.centroids().close();
        }
        Figures f = new Figures(n, (double) spokenErr / Math.max(1, words), (double) resynthErr / Math.max(1, refWords), (double) espeakErr / Math.max(1, refWords),
                vocNanos / 1e9 / Math.max(1e-9, vocSeconds), rtfStream / Math.max(1, n), first / Math.max(1, n));
        ObjectNode o = json.valueToTree(f);
        o.set("rows", rows);
        try {
            AtomicFiles.writeString(out.resolve("voice.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        progress.message(String.format(Locale.ROOT, "voice eval on %d held-out prompts: spoken answers WER %.1f %%, units-resynthesis WER %.1f %% (espeak itself %.1f %%), vocoder RTF %.3f whole / %.3f streamed, first audio %.0f ms",
                n, 100 * f.spokenWer(), 100 * f.resynthWer(), 100 * f.espeakWer(), f.rtfWhole(), f.rtfStreamed(), f.firstAudioMs()));
        return f;
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
