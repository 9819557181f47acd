package dev.auris.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A Hugging Face {@code tokenizer.json}, run by the Rust {@code tokenizers} library through DJL (its
 * natives are in the jar: no download). DJL truncates at 512 tokens by default; Auris turns truncation
 * and padding off, and adds no special tokens (the chat template places them).
 */
public final class HfTokenizer implements Tokenizer, AutoCloseable {
    private final HuggingFaceTokenizer tok;
    private final Map<String, Integer> added;
    private final int vocabSize;
    private final OptionalInt bos, eos;

    private HfTokenizer(HuggingFaceTokenizer tok, Map<String, Integer> added, int vocabSize, OptionalInt bos, OptionalInt eos) {
        this.tok = tok;
        this.added = added;
        this.vocabSize = vocabSize;
        this.bos = bos;
        this.eos = eos;
    }

    public static HfTokenizer load(Path tokenizerJson) {
        if (!Files.isRegularFile(tokenizerJson)) throw new IllegalArgumentException("tokenizer not found: " + tokenizerJson);
        try {
            JsonNode root = new ObjectMapper().readTree(tokenizerJson.toFile());
            Map<String, Integer> added = new HashMap<>();
            int maxId = -1;
            for (JsonNode t : root.path("added_tokens")) {
                added.put(t.path("content").asText(), t.path("id").asInt());
                maxId = Math.max(maxId, t.path("id").asInt());
            }
            JsonNode vocab = root.path("model").path("vocab");
            if (vocab.isObject()) {
                for (var it = vocab.properties().iterator(); it.hasNext(); ) maxId = Math.max(maxId, it.next().getValue().asInt());
            } else if (vocab.isArray()) {
                maxId = Math.max(maxId, vocab.size() - 1);
            }
            Map<String, String> opts = Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false",
                    "modelMaxLength", String.valueOf(Integer.MAX_VALUE));
            HuggingFaceTokenizer tok;
            try {
                tok = HuggingFaceTokenizer.newInstance(tokenizerJson, opts);
            } catch (RuntimeException e) { // the tokenizers library's own parse error, from native code
                throw new IllegalArgumentException(tokenizerJson + ": not a tokenizer the tokenizers library reads (" + e.getMessage() + ")", e);
            }
            Path config = tokenizerJson.resolveSibling("tokenizer_config.json");
            OptionalInt bos = OptionalInt.empty(), eos = OptionalInt.empty();
            if (Files.isRegularFile(config)) {
                JsonNode c = new ObjectMapper().readTree(config.toFile());
                bos = idOf(added, c.path("bos_token"));
                eos = idOf(added, c.path("eos_token"));
            }
            return new HfTokenizer(tok, Map.copyOf(added), maxId + 1, bos, eos);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    /** A tokenizer.json whose BOS / EOS ids are given (a GGUF's {@code tokenizer.ggml.bos/eos_token_id}), not read from tokenizer_config.json. */
    public static HfTokenizer load(Path tokenizerJson, OptionalInt bos, OptionalInt eos) {
        HfTokenizer t = load(tokenizerJson);
        return new HfTokenizer(t.tok, t.added, t.vocabSize, bos, eos);
    }

    private static OptionalInt idOf(Map<String, Integer> added, JsonNode token) {
        String s = token.isObject() ? token.path("content").asText(null) : token.isTextual() ? token.asText() : null;
        Integer id = s == null ? null : added.get(s);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public int[] encode(String text) {
        Encoding e;
        try {
            e = tok.encode(text, false, false);
        } catch (RuntimeException ex) { // the tokenizers library's own error, from native code (e.g. a WordLevel model without its unknown token)
            throw new IllegalArgumentException("the tokenizer cannot encode this text: " + ex.getMessage(), ex);
        }
        long[] ids = e.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = (int) ids[i];
        return out;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        try {
            return tok.decode(l, skipSpecial);
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException("the tokenizer cannot decode these ids: " + ex.getMessage(), ex);
        }
    }

    @Override
    public int vocabSize() { return vocabSize; }

    @Override
    public OptionalInt tokenId(String token) {
        Integer id = added.get(token);
        if (id != null) return OptionalInt.of(id);
        long[] ids = tok.encode(token, false, false).getIds();
        return ids.length == 1 ? OptionalInt.of((int) ids[0]) : OptionalInt.empty();
    }

    @Override
    public OptionalInt bosId() { return bos; }

    @Override
    public OptionalInt eosId() { return eos; }

    @Override
    public void close() { tok.close(); }
}
