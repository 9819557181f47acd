package dev.auris.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.train.voice.VoiceSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The model card's "Voice" section (replaced if present): how the voice was made, what each step cost, what it measures. */
final class VoiceCard {
    private VoiceCard() {}

    static void write(Path model, Path run, VoiceSpec s, VoiceEval.Figures f) {
        try {
            ObjectMapper json = new ObjectMapper();
            Path card = model.resolve("README.md");
            String md = Files.isRegularFile(card) ? Files.readString(card) : "";
            int at = md.indexOf("\n## Voice\n");
            if (at >= 0) {
                int next = md.indexOf("\n## ", at + 1);
                md = md.substring(0, at) + (next < 0 ? "" : md.substring(next));
            }
            JsonNode dec = read(json, run.resolve("decoder/result.json")), voc = read(json, run.resolve("vocoder/result.json"));
            JsonNode decCfg = read(json, model.resolve("speech/decoder/config.json")), data = read(json, run.resolve("data/summary.json"));
            JsonNode cmp = read(json, run.resolve("units/compare.json"));
            StringBuilder b = new StringBuilder("\n## Voice\n\n");
            b.append(String.format(Locale.ROOT, """
                    The model speaks its answers as it writes them, LLaMA-Omni's way: the LLM's final hidden states of the answer \
                    go through a speech decoder (`speech/decoder`: %s layers/width/heads/ffn, upsampled ×%d, CTC over %d units + blank), \
                    and a unit HiFi-GAN with duration predictor (`speech/vocoder`, fairseq CodeHiFiGAN names) vocodes every Ω = %d units. \
                    Made by the `voice` section of `recipes/tiny.json` on top of this model (`auris train --recipe recipes/tiny.json --out RUN --from-stage voice`), \
                    the LLM frozen.

                    - **Voice**: one synthetic voice, espeak-ng `%s` (%d wpm, pitch %d), resampled to 16 kHz: formant synthesis is the most learnable \
                    voice for a small generator on two cores, and the engine this model's recognizer hears best, so the spoken answers' WER measures the \
                    speech path rather than the recognizer. No recorded human speech. %d prompts (sentences of stories260K's own stories), the model's \
                    text answers (greedy, ≤ %d tokens) and both spoken: %.0f min of audio; every %dth prompt held out.
                    - **Units** (`speech/units`): k-means (K = %d) over log-mel (80 bins, hop 320: 50 frames/s), duplicates merged. Chosen by a proxy, \
                    held-out log-mel rebuilt from each unit's mean training log-mel: mean |Δ| %.4f for log-mel units vs %.4f for units of the model's \
                    own encoder states (which run at 25/s and carry less of the spectrum).
                    - **Speech decoder**: %s steps, CTC %.3f → %.3f (held-out %.3f), %.0f s on this CPU.
                    - **Vocoder**: %s steps (mel-L1 + duration, then HiFi-GAN's MPD + MSD adversarial and feature-matching losses), \
                    mel L1 %.3f → %.3f (held-out resynthesis %.3f), %.0f s.

                    | measured on %d held-out prompts (heard as espeak speech) | value |
                    |---|---|
                    | spoken answers' WER against the text answers (this model's recognizer) | %.1f %% |
                    | units-resynthesis WER (held-out espeak speech → units → vocoder → recognizer) | %.1f %% |
                    | the recognizer on the held-out espeak speech itself (floor) | %.1f %% |
                    | vocoder real-time factor, whole utterances / streamed every Ω units | %.3f / %.3f |
                    | first audio after the prompt is heard (mean, ms) | %.0f |
                    """, decCfg.path("ctc_decoder_config").asText(), decCfg.path("ctc_upsample_factor").asInt(), decCfg.path("unit_vocab_size").asInt(), s.omega(),
                    s.espeakVoice(), s.speed(), s.pitch(), data.path("items").asInt(), s.answerTokens(), data.path("audio_seconds").asDouble() / 60, s.heldOutEvery(),
                    s.units().k(), cmp.path("mel_mel_l1").asDouble(Double.NaN), cmp.path("encoder_mel_l1").asDouble(Double.NaN),
                    dec.path("steps").asText(), dec.path("firstLoss").asDouble(Double.NaN), dec.path("trainLoss").asDouble(Double.NaN), dec.path("validationLoss").asDouble(Double.NaN), dec.path("seconds").asDouble(),
                    voc.path("steps").asText(), voc.path("firstMelL1").asDouble(Double.NaN), voc.path("lastMelL1").asDouble(Double.NaN), voc.path("heldOutMelL1").asDouble(Double.NaN), voc.path("seconds").asDouble(),
                    f.clips(), 100 * f.spokenWer(), 100 * f.resynthWer(), 100 * f.espeakWer(), f.rtfWhole(), f.rtfStreamed(), f.firstAudioMs()));
            Files.writeString(card, md.stripTrailing() + "\n" + b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode read(ObjectMapper json, Path p) throws IOException {
        return Files.isRegularFile(p) ? json.readTree(p.toFile()) : json.createObjectNode();
    }
}
