package dev.auris.train.voice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.audio.AudioClip;
import dev.auris.audio.Wav;
import dev.auris.io.AtomicFiles;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechSession;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;
import dev.auris.train.synth.EspeakNg;
import dev.auris.train.synth.Parallel;
import dev.auris.train.synth.Voice;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The voice's data: each prompt typed to the speech LLM, its greedy text answer (what the model says at
 * inference, where it hears a clip as its transcript), and both spoken by one espeak-ng voice at 16 kHz.
 * Written per split as a manifest ({@code train.jsonl}, {@code heldout.jsonl}: user text → assistant answer,
 * plus {@code answer_audio} and {@code prompt_audio}), so {@link dev.auris.train.data.Manifest} reads the
 * text part and {@link #items} the clips. The answers' speech is the speech decoder's target; the prompts'
 * speech adds story sentences for the vocoder.
 *
 * <p>Why espeak-ng en-us: formant synthesis is regular (the most learnable voice for a small generator on two
 * cores) and it is the engine models/tiny's recognizer hears best, so the spoken answers' ASR-WER measures the
 * speech path rather than the recognizer.
 */
public final class VoiceData {
    /** One line: the prompt and answer texts and their clips (paths relative to the manifest). */
    public record Item(int line, String prompt, String answer, String answerAudio, String promptAudio) {}

    private VoiceData() {}

    /** Answers {@code prompts} with the model, speaks prompts and answers, writes {@code out/{train,heldout}.jsonl} and clips. */
    public static void synthesize(SpeechLlm model, List<String> prompts, VoiceSpec s, Path out, Consumer<String> log) {
        List<String> answers = Parallel.map(prompts.size(), i -> {
            try (SpeechSession session = model.newSession()) {
                return session.respond(Turn.user(Turn.text(prompts.get(i))), SamplingOptions.greedy(s.answerTokens()), e -> {}).text().strip();
            }
        });
        log.accept("answered " + prompts.size() + " prompts");
        Voice voice = new Voice("espeak-ng", s.espeakVoice(), s.speed(), s.pitch());
        EspeakNg espeak = new EspeakNg();
        ObjectMapper json = new ObjectMapper();
        StringBuilder train = new StringBuilder(), held = new StringBuilder();
        double[] seconds = {0};
        int written = 0;
        for (int from = 0; from < prompts.size(); from += 64) {
            int base = from, n = Math.min(64, prompts.size() - from);
            List<AudioClip[]> spoken = Parallel.map(n, i -> {
                String a = answers.get(base + i);
                if (a.isBlank() || !a.matches("(?s).*\\p{L}.*")) return null;                     // nothing to say
                return new AudioClip[]{espeak.speak(a, voice), espeak.speak(prompts.get(base + i), voice)};
            });
            for (int i = 0; i < n; i++) {
                if (spoken.get(i) == null) continue;
                int k = base + i;
                boolean heldOut = k % s.heldOutEvery() == s.heldOutEvery() - 1;
                String ans = "clips/" + String.format("%05d", k) + "-answer.wav", pr = "clips/" + String.format("%05d", k) + "-prompt.wav";
                Wav.write(out.resolve(ans), spoken.get(i)[0]);
                Wav.write(out.resolve(pr), spoken.get(i)[1]);
                seconds[0] += spoken.get(i)[0].seconds() + spoken.get(i)[1].seconds();
                ObjectNode o = json.createObjectNode().put("task", "voice").put("voice", voice.id());
                var msgs = o.putArray("messages");
                msgs.addObject().put("role", "user").putArray("content").addObject().put("text", prompts.get(k));
                msgs.addObject().put("role", "assistant").put("content", answers.get(k));
                o.put("answer_audio", ans).put("prompt_audio", pr);
                (heldOut ? held : train).append(o).append('\n');
                written++;
            }
            log.accept(String.format(java.util.Locale.ROOT, "spoke %d/%d answers and prompts (%.1f min of audio)", Math.min(prompts.size(), from + 64), prompts.size(), seconds[0] / 60));
        }
        AtomicFiles.writeString(out.resolve("heldout.jsonl"), held.toString());
        AtomicFiles.writeString(out.resolve("train.jsonl"), train.toString());
        AtomicFiles.writeString(out.resolve("summary.json"), String.format(java.util.Locale.ROOT,
                "{\"items\": %d, \"audio_seconds\": %.1f, \"voice\": \"%s\"}%n", written, seconds[0], voice.id()));
    }

    /**
     * The held-out set {@code auris eval} measures the voice on: the first {@code n} held-out prompts' speech copied
     * into {@code heldOutDir/clips/voice-*.wav} and {@code heldOutDir/voice.jsonl} (prompt text, the model's text
     * answer when the data was made, prompt_audio). The answers' speech stays out: the model speaks its own.
     */
    public static void writeEvalSet(List<Item> held, Path data, int n, Path heldOutDir) {
        ObjectMapper json = new ObjectMapper();
        StringBuilder lines = new StringBuilder();
        try {
            Files.createDirectories(heldOutDir.resolve("clips"));
            for (Item it : held.subList(0, Math.min(n, held.size()))) {
                String clip = String.format("clips/voice-%05d.wav", it.line());
                Files.copy(data.resolve(it.promptAudio()), heldOutDir.resolve(clip), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                ObjectNode o = json.createObjectNode().put("task", "voice");
                var msgs = o.putArray("messages");
                msgs.addObject().put("role", "user").putArray("content").addObject().put("text", it.prompt());
                msgs.addObject().put("role", "assistant").put("content", it.answer());
                o.put("prompt_audio", clip);
                lines.append(o).append('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the voice's held-out set into " + heldOutDir + ": " + e.getMessage(), e);
        }
        AtomicFiles.writeString(heldOutDir.resolve("voice.jsonl"), lines.toString());
    }

    /** The items of a voice manifest, in line order (line numbers 1-based, as {@link dev.auris.train.data.Manifest} counts). */
    public static List<Item> items(Path manifest) {
        List<Item> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try {
            int n = 0;
            for (String line : Files.readAllLines(manifest)) {
                n++;
                if (line.isBlank()) continue;
                JsonNode j = json.readTree(line);
                out.add(new Item(n, j.path("messages").get(0).path("content").get(0).path("text").asText(),
                        j.path("messages").get(1).path("content").asText(), j.path("answer_audio").asText(), j.path("prompt_audio").asText()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + manifest + ": " + e.getMessage(), e);
        }
        return out;
    }
}
