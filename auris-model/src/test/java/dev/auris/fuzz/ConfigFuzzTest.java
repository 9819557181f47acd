package dev.auris.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.encoder.WhisperConfig;
import dev.auris.llm.LlmConfig;
import dev.auris.pipeline.SpeechModelSpec;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The JSON a model directory brings: a Llama-family {@code config.json}, a Whisper {@code config.json}
 * (with the feature extractor's hop_length), and {@code auris.json} (selector, connector, prompt, lora,
 * decoding sections): a validated record or a {@code CheckpointException} naming the field. Bytes are
 * parsed in memory (the readers' {@code of}/{@code parse} after the file is read). Seeds: the golden and
 * bundled configs ({@code ConfigFuzzTestInputs/}).
 */
class ConfigFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The JSON tree, or null when the bytes are not JSON (Jackson's parser is not the target; the readers turn its error into theirs). */
    private static JsonNode tree(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            return null;
        }
    }

    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void llmConfig(byte[] bytes) {
        JsonNode c = tree(bytes);
        if (c == null) return;
        Refusals.refuseCleanly(() -> {
            LlmConfig cfg = LlmConfig.of(Path.of("config.json"), c);
            if (cfg.hiddenSize() <= 0 || cfg.vocabSize() <= 0 || cfg.maxPositionEmbeddings() <= 0 || cfg.intermediateSize() <= 0) {
                throw new AssertionError("a non-positive size passed validation: " + cfg);
            }
        });
    }

    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void whisperConfig(byte[] bytes) {
        JsonNode c = tree(bytes);
        if (c == null) return;
        Refusals.refuseCleanly(() -> {
            WhisperConfig cfg = WhisperConfig.of(Path.of("config.json"), c, c.path("hop_length").asInt(160));
            if (cfg.maxFrames() <= 0 || cfg.headDim() <= 0) throw new AssertionError("a non-positive size passed validation: " + cfg);
        });
    }

    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void aurisJson(byte[] bytes) {
        Refusals.refuseCleanly(() -> SpeechModelSpec.parse(Path.of("auris.json"), bytes));
    }
}
