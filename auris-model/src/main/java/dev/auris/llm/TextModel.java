package dev.auris.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.core.DType;
import dev.auris.io.Gguf;
import dev.auris.io.GgufWeights;
import dev.auris.tokenizer.GgufVocab;
import dev.auris.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A text LLM directory (or a llama.cpp {@code .gguf} file) loaded whole: weights, tokenizer and end-of-generation ids (from
 * {@code generation_config.json}, else config.json). How a conversation is rendered is the prompt
 * stage's ({@code ChatTemplate.load(dir, tokenizer)}).
 */
public record TextModel(Llm llm, Tokenizer tokenizer, Set<Integer> eosIds) implements AutoCloseable {

    public static TextModel load(Path dir, DType dtype) {
        if (Gguf.isGguf(dir)) return loadGguf(dir, dtype);
        Llm llm = Llm.load(dir, dtype);
        try {
            Tokenizer tok = Tokenizer.load(dir);
            Set<Integer> eos = new LinkedHashSet<>(llm.config().eosTokenIds());
            Path gen = dir.resolve("generation_config.json");
            if (Files.isRegularFile(gen)) {
                JsonNode g = new ObjectMapper().readTree(gen.toFile()).path("eos_token_id");
                if (g.isArray()) g.forEach(x -> eos.add(x.asInt()));
                else if (g.isNumber()) eos.add(g.asInt());
            }
            tok.eosId().ifPresent(eos::add);
            return new TextModel(llm, tok, Set.copyOf(eos));
        } catch (IOException e) {
            llm.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            llm.close();
            throw e;
        }
    }

    /** A llama.cpp {@code .gguf} file: weights dequantized to {@code dtype}, tokenizer and end tokens from its metadata. */
    private static TextModel loadGguf(Path file, DType dtype) {
        try (Gguf g = Gguf.open(file)) {
            Tokenizer tok = GgufVocab.tokenizer(g);
            LlmConfig c = GgufConfig.read(g);
            Llm llm = Llm.load(c, new GgufWeights(g), dtype);
            Set<Integer> eos = new LinkedHashSet<>(c.eosTokenIds());
            tok.eosId().ifPresent(eos::add);
            return new TextModel(llm, tok, Set.copyOf(eos));
        }
    }

    /**
     * The same LLM with the tokenizer of {@code dir} (a release that ships its own, as Ultravox does beside the text
     * model it names); this model's tokenizer is closed. End-of-generation ids: these, plus the new tokenizer's EOS.
     */
    public TextModel withTokenizer(Path dir) {
        Tokenizer tok = Tokenizer.load(dir);
        Set<Integer> eos = new LinkedHashSet<>(eosIds);
        tok.eosId().ifPresent(eos::add);
        closeTokenizer();
        return new TextModel(llm, tok, Set.copyOf(eos));
    }

    private void closeTokenizer() {
        if (tokenizer instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // nothing to recover
            }
        }
    }

    @Override
    public void close() {
        llm.close();
        if (tokenizer instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // nothing to recover
            }
        }
    }
}
