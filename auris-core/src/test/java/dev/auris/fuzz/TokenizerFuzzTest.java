package dev.auris.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.auris.tokenizer.HfTokenizer;
import dev.auris.tokenizer.Llama2cTokenizer;
import dev.auris.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * Tokenizer files of arbitrary bytes: llama2.c {@code tokenizer.bin} and Hugging Face
 * {@code tokenizer.json} (parsed by Auris, then by the tokenizers library through DJL), each loaded and
 * used once: a tokenizer or a refusal. Seeds: stories260K's tok512.bin and tiny tokenizer.json files
 * ({@code TokenizerFuzzTestInputs/}).
 */
class TokenizerFuzzTest {
    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void tokenizerBin(byte[] bytes) {
        Refusals.refuseCleanly(() -> roundTrip(Llama2cTokenizer.load(bytes, "tokenizer.bin", -1)));
    }

    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void tokenizerJson(byte[] bytes) {
        Path file = Refusals.file("tokenizer.json", bytes);
        Refusals.refuseCleanly(() -> {
            try (HfTokenizer t = HfTokenizer.load(file)) {
                roundTrip(t);
            }
        });
    }

    private static void roundTrip(Tokenizer t) {
        int[] ids = t.encode("Once upon a time, héllo 🐱");
        for (int id : ids) {
            if (id < 0) throw new AssertionError("negative token id " + id);
        }
        t.decode(ids);
    }
}
