package dev.auris.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.io.CheckpointException;
import dev.auris.io.Gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * A GGUF byte-level BPE vocabulary ({@code tokenizer.ggml.model = "gpt2"}: tokens, merges, token types) as the
 * Hugging Face tokenizer.json it was converted from, run by {@link HfTokenizer}. The pre-tokenizer regex is the one
 * llama.cpp picks for {@code tokenizer.ggml.pre} ({@code src/llama-vocab.cpp}): {@code llama-bpe} (Llama 3, with
 * {@code ignore_merges} as its tokenizer.json has), {@code qwen2}, else GPT-2's. Control and user-defined tokens
 * (types 3 and 4) become added tokens, matched before the BPE.
 */
final class GgufBpe {
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private GgufBpe() {}

    static Tokenizer tokenizer(Gguf g) {
        String file = g.file().toString();
        List<?> tokens = g.array("tokenizer.ggml.tokens"), merges = g.array("tokenizer.ggml.merges"), types = g.array("tokenizer.ggml.token_type");
        if (tokens.isEmpty() || merges.isEmpty()) {
            throw new CheckpointException(file, null, "a gpt2 tokenizer without tokenizer.ggml.tokens or merges", "convert the model again with its tokenizer");
        }
        String pre = g.string("tokenizer.ggml.pre").orElse("default");
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode().put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        ObjectNode vocab = json.createObjectNode();
        for (int i = 0; i < tokens.size(); i++) {
            String t = String.valueOf(tokens.get(i));
            int type = i < types.size() ? ((Number) types.get(i)).intValue() : 1;
            if (type == 3 || type == 4) {
                added.addObject().put("id", i).put("content", t).put("single_word", false).put("lstrip", false).put("rstrip", false)
                        .put("normalized", false).put("special", type == 3);
            }
            vocab.put(t, i);
        }
        root.putNull("normalizer");
        ObjectNode preTok = root.putObject("pre_tokenizer").put("type", "Sequence");
        ArrayNode seq = preTok.putArray("pretokenizers");
        seq.addObject().put("type", "Split").put("behavior", "Isolated").put("invert", false).putObject("pattern")
                .put("Regex", switch (pre) { case "llama-bpe", "llama3" -> LLAMA3; case "qwen2" -> QWEN2; default -> GPT2; });
        seq.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model").put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", pre.equals("llama-bpe") || pre.equals("llama3"));
        model.set("vocab", vocab);
        ArrayNode m = model.putArray("merges");
        for (Object x : merges) m.add(String.valueOf(x));
        try {
            Path tmp = Files.createTempFile("auris-gguf-", "-tokenizer.json");
            try {
                json.writeValue(tmp.toFile(), root);
                return HfTokenizer.load(tmp, id(g, "tokenizer.ggml.bos_token_id"), id(g, "tokenizer.ggml.eos_token_id"));
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the tokenizer of " + file + ": " + e.getMessage(), e);
        }
    }

    private static OptionalInt id(Gguf g, String key) {
        return g.integer(key).isPresent() ? OptionalInt.of((int) g.integer(key).getAsLong()) : OptionalInt.empty();
    }
}
