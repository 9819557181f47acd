package dev.auris.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.train.eval.Voice;
import dev.auris.train.voice.VoiceSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The model card's "Voice" section (replaced if present): how the voice was made, what each step cost, what it measures. */
final class VoiceCard {
    private VoiceCard() {}

    static void write(Path model, Path run, VoiceSpec s, Voice f) {
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
            JsonNode cmp = read(json, run.resolve("units/compare.json")), sphinx = read(json, run.resolve("eval/pocketsphinx.json"));
            double synth = seconds(run.resolve("data/synthesis-seconds.txt")), codebook = seconds(run.resolve("units/codebook-seconds.txt"));
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
                    text answers (greedy, ≤ %d tokens) and both spoken: %.0f min of audio, made in %.0f s; every %dth prompt held out.
                    - **Units** (`speech/units`): k-means (K = %d) over %s (hop 320: 50 frames/s), duplicates merged, %.0f s. Chosen by a proxy, \
                    held-out log-mel rebuilt from each unit's mean training log-mel: mean |Δ| %.4f for log-mel units vs %.4f for units of the model's \
                    own encoder states (which run at 25/s and were trained to discard the voice).
                    - **Speech decoder**: %s steps, CTC %.3f → %.3f (held-out %.3f), %.0f s on this CPU.
                    - **Vocoder**: %s steps (mel-L1 + duration, then HiFi-GAN's MPD + MSD adversarial and feature-matching losses), \
                    mel L1 %.3f → %.3f (held-out resynthesis %.3f), %.0f s.

                    | measured on %d held-out prompts (heard as espeak speech; `auris eval` re-measures them from `eval/heldout/voice.jsonl`) | value |
                    |---|---|
                    | spoken answers' WER against the text answers (this model's recognizer) | %.1f %% |
                    | units-resynthesis WER (held-out prompt speech → units → vocoder → recognizer) | %.1f %% |
                    | the recognizer on the held-out prompt speech itself (floor) | %.1f %% |
                    | vocoder real-time factor, whole utterances / streamed every Ω units | %.3f / %.3f |
                    | first audio after the end of the user's speech (mean): hearing / first token / first chunk | %.0f / %.0f / %.0f ms |
                    """, decCfg.path("ctc_decoder_config").asText(), decCfg.path("ctc_upsample_factor").asInt(), decCfg.path("unit_vocab_size").asInt(), s.omega(),
                    s.espeakVoice(), s.speed(), s.pitch(), data.path("items").asInt(), s.answerTokens(), data.path("audio_seconds").asDouble() / 60, synth, s.heldOutEvery(),
                    s.units().k(), s.units().features().equals("mel") ? "log-mel (" + s.units().nMels() + " bins)" : "the model's encoder states", codebook,
                    cmp.path("mel_mel_l1").asDouble(Double.NaN), cmp.path("encoder_mel_l1").asDouble(Double.NaN),
                    dec.path("steps").asText(), dec.path("firstLoss").asDouble(Double.NaN), dec.path("trainLoss").asDouble(Double.NaN), dec.path("validationLoss").asDouble(Double.NaN), dec.path("seconds").asDouble(),
                    voc.path("steps").asText(), voc.path("firstMelL1").asDouble(Double.NaN), voc.path("lastMelL1").asDouble(Double.NaN), voc.path("heldOutMelL1").asDouble(Double.NaN), voc.path("seconds").asDouble(),
                    f.clips(), 100 * f.spokenWer(), 100 * f.resynthWer(), 100 * f.floorWer(), f.rtfWhole(), f.rtfStreamed(), f.encodeMs(), f.firstTokenMs(), f.firstAudioMs()));
            if (sphinx.has("spoken")) {
                b.append(String.format(Locale.ROOT, "| a second recognizer, pocketsphinx 0.8 (`tools/pocketsphinx_wer.py`): spoken answers / resynthesis / the prompt speech itself | %.1f / %.1f / %.1f %% |%n",
                        100 * sphinx.path("spoken").asDouble(), 100 * sphinx.path("resynth").asDouble(), 100 * sphinx.path("floor").asDouble()));
            }
            b.append(f.spokenWer() <= 0.25 ? "\nThe spoken answers meet the ≤ 25 % target of the speech-out issue.\n"
                    : String.format(Locale.ROOT, "%n**Not good enough yet**: the spoken answers' %.1f %% misses the ≤ 25 %% target.%n", 100 * f.spokenWer()));
            Files.writeString(card, md.stripTrailing() + "\n" + b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double seconds(Path p) throws IOException {
        return Files.isRegularFile(p) ? Double.parseDouble(Files.readString(p).strip()) : Double.NaN;
    }

    private static JsonNode read(ObjectMapper json, Path p) throws IOException {
        return Files.isRegularFile(p) ? json.readTree(p.toFile()) : json.createObjectNode();
    }
}
