package dev.auris.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/** Text ⇄ token ids. Implementations are immutable and thread-safe. */
public interface Tokenizer {
    /** Token ids of {@code text}, without any special tokens added. */
    int[] encode(String text);

    /**
     * Tokens of text that continues earlier text (an answer after its prompt, as a model generated and
     * decoded it): what the model itself would have produced there. Tokenizers without a dummy prefix
     * encode it as is.
     */
    default int[] encodeContinuation(String text) { return encode(text); }

    /** Text of {@code ids}; special tokens (BOS/EOS, chat markers) are dropped when {@code skipSpecial}. */
    String decode(int[] ids, boolean skipSpecial);

    default String decode(int[] ids) { return decode(ids, true); }

    int vocabSize();

    /** The id of a token given by its exact text (e.g. {@code <|im_end|>}), if the vocabulary has it. */
    OptionalInt tokenId(String token);

    OptionalInt bosId();

    OptionalInt eosId();

    /**
     * Loads the tokenizer of a model directory: {@code tokenizer.json} (Hugging Face) or
     * {@code tokenizer.bin} / {@code tok*.bin} (llama2.c).
     */
    static Tokenizer load(Path dir) {
        Path json = dir.resolve("tokenizer.json");
        if (Files.isRegularFile(json)) return HfTokenizer.load(json);
        Path bin = dir.resolve("tokenizer.bin");
        if (Files.isRegularFile(bin)) return Llama2cTokenizer.load(bin, -1);
        throw new IllegalArgumentException("no tokenizer in " + dir + ": expected tokenizer.json (Hugging Face) or tokenizer.bin (llama2.c)");
    }
}
