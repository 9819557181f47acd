package dev.auris.sample;

import dev.auris.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a growing list of token ids into text deltas: decodes the whole list each time and emits what is
 * new, holding back an incomplete UTF-8 sequence (a trailing U+FFFD) until the next token completes it.
 */
public final class TextStreamer {
    private final Tokenizer tokenizer;
    private final List<Integer> ids = new ArrayList<>();
    private String emitted = "";

    public TextStreamer(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds a token; returns the new text (possibly empty). */
    public String add(int id) {
        ids.add(id);
        String text = tokenizer.decode(ids.stream().mapToInt(Integer::intValue).toArray(), true);
        if (text.endsWith("\uFFFD")) return "";
        String delta = text.startsWith(emitted) ? text.substring(emitted.length()) : "";
        emitted = text;
        return delta;
    }

    public String text() { return emitted; }
}
