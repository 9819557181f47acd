package dev.auris.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A training recipe as data ({@code recipes/*.json}): the model to start from and the stages to run in
 * order, each stage starting from the previous one's output, then optionally publishing and a {@code voice}
 * section (LLaMA-Omni's speech decoder and unit vocoder on top of a trained model). Paths are relative to the
 * recipe file.
 *
 * <pre>{@code
 * {"name": "llasm", "model": {"from": "../models/base"}   // or "compose": {"encoder": .., "llm": .., "selector": {..}, "connector": {..}}
 *  "stages": [{"name": "align", "train": ["connector"], "data": [{"manifest": "asr.jsonl", "weight": 1}], "steps": 200, ...}]}
 * }</pre>
 */
public record Recipe(String name, String description, SynthSpec synth, EncoderSpec encoder, ModelSource model, List<StageConfig> stages, PublishSpec publish,
                     dev.auris.train.voice.VoiceSpec voice) {
    /** Where the first stage's model comes from: an existing directory, or a composition of encoder + LLM. */
    public record ModelSource(String from, Map<String, Object> compose) {}

    /**
     * Optional data synthesis into {@code $run/data}: texts from a file and/or sentences of stories sampled
     * from an LLM ({@code sample_llm}, {@code sample_stories} stories at {@code temperature}); {@code train_texts} is
     * prose (a text file, or .gz) whose sentences of min_words..max_words are spoken in training only, at most
     * {@code train_sentences} of them (0: all) drawn with the seed: text diversity that never enters a held-out set.
     */
    public record SynthSpec(String texts, String sampleLlm, int sampleStories, double temperature, int minWords, int maxWords,
                            List<String> engines, int clipsPerText, int heldOutEvery, String distill, int distillTokens, String mixedInstruction, long seed,
                            Boolean installEngines, List<String> heldOutEngines, String voiceSampling, String trainTexts, int trainSentences) {
        /** How a clip's voice is drawn: "voices" (uniformly from all voices, the default) or "engines" (an engine first, then one of its voices). */
        public boolean balanceEngines() {
            if (voiceSampling == null || voiceSampling.equals("voices")) return false;
            if (voiceSampling.equals("engines")) return true;
            throw new IllegalArgumentException("recipe synth.voice_sampling '" + voiceSampling + "' is unknown: use voices or engines");
        }

        /** Whether missing Debian engines are installed (apt-get, as root) and, if that fails, the run stops: default true. */
        public boolean install() { return installEngines == null || installEngines; }
    }

    /**
     * Optional encoder pretraining with CTC into {@code $run/encoder}, over the tokenizer of {@code vocabulary} (an LLM directory);
     * {@code hop_length} sets the log-mel hop, saved as the encoder's {@code preprocessor_config.json}.
     */
    public record EncoderSpec(String vocabulary, List<String> train, List<String> heldOut, int dModel, int layers, int heads, int ffnDim, int nMels,
                              int maxSeconds, int steps, int batchSize, double lr, int warmupSteps, double weightDecay, long seed, double specAugment,
                              String precision, String init, Integer hopLength, Double warp,
                              dev.auris.train.augment.WaveAugment augment) {
        public EncoderSpec {
            if (!(specAugment >= 0 && specAugment < 1)) {
                throw new IllegalArgumentException("recipe encoder.spec_augment " + specAugment + " must be in [0, 1): the largest masked fraction of the time and mel axes, e.g. 0.05");
            }
        }

        /** Mel-axis and time-axis warping (vocal tract length and tempo perturbation): factors in [1 − w, 1 + w]; default 0 (off). */
        public double warpFactor() {
            double w = warp == null ? 0 : warp;
            if (!(w >= 0 && w < 0.5)) throw new IllegalArgumentException("recipe encoder.warp " + w + " must be in [0, 0.5): the largest relative stretch of the mel and time axes, e.g. 0.1");
            return w;
        }

        /** The log-mel hop in samples: 160 (Whisper's 10 ms, the default) or e.g. 320 (20 ms: half the frames, half the compute). */
        public int hop() {
            int h = hopLength == null ? dev.auris.features.LogMel.HOP_LENGTH : hopLength;
            if (!dev.auris.features.LogMel.usableHop(h)) {
                throw new IllegalArgumentException("recipe encoder.hop_length " + h + " is not usable: " + dev.auris.features.LogMel.HOP_RULE);
            }
            return h;
        }

        /** Initialisation: "normal" (N(0, 0.02²) everywhere, the default) or "he-conv" (He-initialised conv stem). */
        public boolean heConvInit() {
            if (init == null || init.equals("normal")) return false;
            if (init.equals("he-conv")) return true;
            throw new IllegalArgumentException("recipe encoder.init '" + init + "' is unknown: use normal or he-conv");
        }

        /**
         * Mixed precision: "bf16" runs the encoder under libtorch's bf16 autocast (float32 masters); "auto" does so where
         * the CPU has AMX and trains in float32 elsewhere (without AMX the tiny encoder's step took 0.8 s in bf16 against
         * 0.45 s in float32 on a Zen 5, both measured while other work shared the cores); default float32.
         */
        public boolean bf16() {
            if (precision == null || precision.equals("f32")) return false;
            if (precision.equals("bf16")) return true;
            if (precision.equals("auto")) return dev.auris.core.Cpu.current().amx();
            throw new IllegalArgumentException("recipe encoder.precision '" + precision + "' is unknown: use f32, bf16 or auto");
        }
    }

    /** Optional publishing of the last stage as a self-contained model directory (the publish step): where to, and what to bundle. */
    public record PublishSpec(String to, int heldOutExamples, int agreementTokens, String examples, int exampleCount, String encoderDtype, Boolean adapters) {
        /**
         * Whether the last stage's LoRA adapters ship with the model (default true). With false the model is
         * published without them, and the card reports the same evaluation with them beside its own.
         */
        public boolean shipsAdapters() { return adapters == null || adapters; }

        /** The dtype the bundled encoder's weights are stored in: "f32" (default, as trained) or "bf16" (half the size). */
        public dev.auris.core.DType encoderStorage() {
            if (encoderDtype == null || encoderDtype.equals("f32")) return dev.auris.core.DType.F32;
            if (encoderDtype.equals("bf16")) return dev.auris.core.DType.BF16;
            throw new IllegalArgumentException("recipe publish.encoder_dtype '" + encoderDtype + "' is unknown: use f32 or bf16");
        }
    }

    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    public Recipe {
        if (stages == null) stages = List.of();
        if (!stages.isEmpty() && (model == null || (model.from() == null && model.compose() == null))) {
            throw new IllegalArgumentException("recipe " + name + ": model needs \"from\" (a model directory) or \"compose\"");
        }
        stages = List.copyOf(stages);
    }

    public static Recipe read(Path file) {
        try {
            return parse(file, Files.readAllBytes(file));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read recipe " + file + ": " + e.getMessage(), e);
        }
    }

    /** The recipe {@code file} whose bytes are {@code json}. */
    public static Recipe parse(Path file, byte[] json) {
        try {
            return JSON.readValue(json, Recipe.class);
        } catch (IOException e) {
            Throwable c = e;
            while (c.getCause() != null && !(c instanceof IllegalArgumentException)) c = c.getCause();
            throw new IllegalArgumentException("recipe " + file + ": " + (c instanceof IllegalArgumentException ? c.getMessage()
                    : e.getMessage().lines().findFirst().orElse("")), e);
        }
    }
}
