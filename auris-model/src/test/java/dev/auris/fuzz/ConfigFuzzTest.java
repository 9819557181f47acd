package dev.auris.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.auris.encoder.WhisperConfig;
import dev.auris.llm.LlmConfig;
import dev.auris.pipeline.SpeechModelSpec;

import java.nio.file.Path;

/**
 * The JSON a model directory brings: a Llama-family {@code config.json}, a Whisper {@code config.json},
 * and {@code auris.json} (selector, connector, prompt, lora, decoding sections): a validated record or a
 * {@code CheckpointException} naming the field. Seeds: the golden and bundled configs
 * ({@code ConfigFuzzTestInputs/}).
 */
class ConfigFuzzTest {
    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void llmConfig(byte[] bytes) {
        Path file = Refusals.file("config.json", bytes);
        Refusals.refuseCleanly(() -> {
            LlmConfig c = LlmConfig.read(file);
            if (c.hiddenSize() <= 0 || c.vocabSize() <= 0 || c.maxPositionEmbeddings() <= 0 || c.intermediateSize() <= 0) {
                throw new AssertionError("a non-positive size passed validation: " + c);
            }
        });
    }

    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void whisperConfig(byte[] bytes) {
        Path file = Refusals.file("config.json", bytes);
        Refusals.refuseCleanly(() -> {
            WhisperConfig c = WhisperConfig.read(file);
            if (c.maxFrames() <= 0 || c.headDim() <= 0) throw new AssertionError("a non-positive size passed validation: " + c);
        });
    }

    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void aurisJson(byte[] bytes) {
        Path file = Refusals.file("auris.json", bytes);
        Refusals.refuseCleanly(() -> SpeechModelSpec.read(file.getParent()));
    }
}
