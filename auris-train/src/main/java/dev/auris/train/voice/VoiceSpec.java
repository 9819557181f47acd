package dev.auris.train.voice;

import java.util.List;

/**
 * A recipe's {@code voice} section: what gives an already-trained speech LLM a voice (LLaMA-Omni's stage 2
 * and its unit vocoder), run on top of the model in {@code model} without re-running the earlier stages.
 *
 * <pre>{@code
 * "voice": {"model": "../models/tiny", "espeak_voice": "en-us", "sample_llm": "../models/stories260K", "sample_stories": 600,
 *           "answer_tokens": 24, "units": {...}, "decoder": {...}, "vocoder": {...}, "omega": 25, "publish": "../models/tiny"}
 * }</pre>
 *
 * @param model         the speech LLM (an auris.json directory) whose answers are spoken and whose LLM stays frozen
 * @param espeakVoice   the one synthetic voice (espeak-ng voice name, e.g. "en-us"), at {@code speed} wpm and {@code pitch}
 * @param sampleLlm     the text LLM whose stories' sentences are the prompts
 * @param answerTokens  the longest answer the model writes (greedy, as the held-out evaluation does)
 * @param heldOutEvery  every n-th prompt is held out (evaluation only)
 * @param maxPrompts    at most this many of the sampled sentences are used (the first ones)
 * @param publish       where the speech parts are written (the model directory's {@code speech/}), null: not published
 */
public record VoiceSpec(String model, String espeakVoice, int speed, int pitch, String sampleLlm, int sampleStories, double temperature,
                        int minWords, int maxWords, int answerTokens, int heldOutEvery, long seed, UnitSpec units, DecoderSpec decoder,
                        VocoderSpec vocoder, int omega, String publish, int evalClips, int maxPrompts) {
    public VoiceSpec {
        if (model == null) throw new IllegalArgumentException("voice.model: name the trained speech LLM directory that is to speak");
        if (espeakVoice == null) espeakVoice = "en-us";
        if (speed <= 0) speed = 175;
        if (pitch <= 0) pitch = 50;
        if (sampleStories <= 0) sampleStories = 600;
        if (temperature <= 0) temperature = 0.9;
        if (minWords <= 0) minWords = 4;
        if (maxWords <= 0) maxWords = 12;
        if (answerTokens <= 0) answerTokens = 24;
        if (heldOutEvery <= 1) heldOutEvery = 10;
        if (units == null) units = new UnitSpec(null, 0, 0, 0, 0, 0);
        if (omega <= 0) omega = 25;
        if (evalClips <= 0) evalClips = 60;
        if (maxPrompts <= 0) maxPrompts = Integer.MAX_VALUE;
    }

    /**
     * The unit codebook: k-means over 50-per-second frame features, {@code "mel"} (log-mel, n_mels bins, hop
     * 320 at 16 kHz) or {@code "encoder"} (the model's own encoder states, repeated to 50 a second).
     */
    public record UnitSpec(String features, int nMels, int hopLength, int k, int iterations, int maxFrames) {
        public UnitSpec {
            if (features == null) features = "mel";
            if (!List.of("mel", "encoder").contains(features)) throw new IllegalArgumentException("voice.units.features must be mel or encoder, got " + features);
            if (nMels <= 0) nMels = 80;
            if (hopLength <= 0) hopLength = 320;
            if (k <= 1) k = 128;
            if (iterations <= 0) iterations = 20;
            if (maxFrames <= 0) maxFrames = 200_000;
        }
    }

    /**
     * The speech decoder (LLaMA-Omni {@code SpeechGeneratorCTC}) and its stage-2 training: CTC over the answer
     * speech's units from the frozen LLM's answer states.
     */
    public record DecoderSpec(String ctcDecoderConfig, int upsampleFactor, int steps, int batchSize, double lr, int warmupSteps, double weightDecay, long seed) {
        public DecoderSpec {
            if (ctcDecoderConfig == null) ctcDecoderConfig = "(2,128,4,256)";
            if (upsampleFactor <= 0) upsampleFactor = 0; // 0: chosen from the data (units per answer token)
            if (steps <= 0) throw new IllegalArgumentException("voice.decoder.steps must be positive");
            if (batchSize <= 0) batchSize = 8;
            if (lr <= 0) lr = 1e-3;
            if (warmupSteps < 0 || warmupSteps > steps) warmupSteps = Math.min(100, steps / 10);
        }
    }

    /**
     * A small CodeHiFiGAN (fairseq names) and its GAN training (HiFi-GAN: MPD + MSD, LSGAN, feature matching,
     * mel L1 ×45, duration MSE on log durations). Before {@code adversarialStart} steps only the mel L1 and
     * duration losses train the generator (the discriminators neither run nor train), which gets a small
     * generator to intelligible audio sooner on a CPU; {@code adversarialAfterMinutes} (if positive) starts the GAN
     * phase after that much training time instead, so a time-boxed run ends with it.
     */
    public record VocoderSpec(int embeddingDim, int upsampleInitialChannel, List<Integer> upsampleRates, List<Integer> upsampleKernelSizes,
                              List<Integer> resblockKernelSizes, List<List<Integer>> resblockDilationSizes, int durHidden, int discChannels,
                              int steps, int batchSize, int segmentFrames, double lr, int adversarialStart, double adversarialAfterMinutes, double maxMinutes, long seed) {
        public VocoderSpec {
            if (embeddingDim <= 0) embeddingDim = 64;
            if (upsampleInitialChannel <= 0) upsampleInitialChannel = 128;
            if (upsampleRates == null) upsampleRates = List.of(5, 4, 4, 4);
            if (upsampleKernelSizes == null) upsampleKernelSizes = List.of(11, 8, 8, 8);
            if (resblockKernelSizes == null) resblockKernelSizes = List.of(3, 7, 11);
            if (resblockDilationSizes == null) resblockDilationSizes = List.of(List.of(1, 3, 5), List.of(1, 3, 5), List.of(1, 3, 5));
            if (durHidden <= 0) durHidden = 64;
            if (discChannels <= 0) discChannels = 16;
            if (steps <= 0) throw new IllegalArgumentException("voice.vocoder.steps must be positive");
            if (batchSize <= 0) batchSize = 4;
            if (segmentFrames <= 0) segmentFrames = 25;
            if (lr <= 0) lr = 2e-4;
            if (adversarialStart < 0) adversarialStart = 0;
        }
    }
}
