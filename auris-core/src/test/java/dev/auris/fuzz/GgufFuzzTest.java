package dev.auris.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.auris.io.Gguf;
import dev.auris.io.GgufTensorInfo;
import dev.auris.tokenizer.GgufVocab;
import dev.auris.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * GGUF files of arbitrary bytes — header, metadata key/values, tensor table, alignment, every
 * dequantizable type's blocks, the vocabulary — read as {@code Llm.load} reads them: values or a
 * {@code CheckpointException}. Seeds: the tiny GGUF goldens ({@code GgufFuzzTestInputs/}).
 */
class GgufFuzzTest {
    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void gguf(byte[] bytes) {
        Path file = Refusals.file("model.gguf", bytes);
        Refusals.refuseCleanly(() -> {
            try (Gguf g = Gguf.open(file)) {
                for (GgufTensorInfo t : g.tensors().values()) {
                    if (t.type().dequantizable() && t.numel() <= 1 << 16) {
                        float[] w = g.floats(t.name());
                        if (w.length != t.numel()) throw new AssertionError(t.name() + ": dequantized to " + w.length + " values, not " + t.numel());
                    }
                }
                if (g.string("tokenizer.ggml.model").isPresent()) {
                    Tokenizer tok = GgufVocab.tokenizer(g);
                    tok.decode(tok.encode("Once upon a time, héllo 🐱"));
                }
            }
        });
    }
}
