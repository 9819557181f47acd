package dev.auris.tokenizer;

import dev.auris.io.CheckpointException;
import dev.auris.io.Gguf;

import java.util.ArrayList;
import java.util.List;

/**
 * The tokenizer a GGUF file carries in its {@code tokenizer.ggml.*} metadata (llama.cpp
 * {@code src/llama-vocab.cpp}). Supported: {@code tokenizer.ggml.model = "llama"} — a SentencePiece vocabulary
 * with scores and {@code <0xXX>} byte pieces, encoded by {@link Llama2cTokenizer}'s score-ordered merges with
 * a dummy-prefix space (llama.cpp's {@code llm_tokenizer_spm}); and {@code "gpt2"} — byte-level BPE with merges
 * (Llama 3, Qwen2) — rebuilt as a Hugging Face tokenizer.json ({@link GgufBpe}).
 */
public final class GgufVocab {
    private GgufVocab() {}

    public static Tokenizer tokenizer(Gguf g) {
        String file = g.file().toString();
        String model = g.string("tokenizer.ggml.model").orElse("none");
        List<?> tokens = g.array("tokenizer.ggml.tokens");
        return switch (model) {
            case "llama" -> {
                List<String> pieces = new ArrayList<>(tokens.size());
                for (Object t : tokens) pieces.add(String.valueOf(t));
                List<?> sc = g.array("tokenizer.ggml.scores");
                if (sc.size() != pieces.size()) {
                    throw new CheckpointException(file, null, "tokenizer.ggml.scores has " + sc.size() + " entries for " + pieces.size() + " tokens",
                            "the file is corrupt; convert the model again");
                }
                float[] scores = new float[sc.size()];
                for (int i = 0; i < scores.length; i++) scores[i] = ((Number) sc.get(i)).floatValue();
                yield Llama2cTokenizer.of(pieces, scores, id(g, "tokenizer.ggml.bos_token_id", 1), id(g, "tokenizer.ggml.eos_token_id", 2),
                        id(g, "tokenizer.ggml.unknown_token_id", 0));
            }
            case "gpt2" -> GgufBpe.tokenizer(g);
            case "none" -> throw new CheckpointException(file, null, "carries no tokenizer (tokenizer.ggml.model is none or missing)",
                    "convert the model with its tokenizer (convert_hf_to_gguf.py), or run a Hugging Face directory");
            default -> throw new CheckpointException(file, null, "tokenizer.ggml.model '" + model + "' is not supported (Auris reads 'llama' SentencePiece and 'gpt2' byte-level BPE vocabularies)",
                    "use the Hugging Face directory of this model (its tokenizer.json)");
        };
    }

    private static int id(Gguf g, String key, int fallback) {
        return (int) g.integer(key).orElse(fallback);
    }
}
