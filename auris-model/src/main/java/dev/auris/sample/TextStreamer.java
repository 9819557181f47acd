package dev.auris.sample;

import dev.auris.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a growing list of token ids into text deltas: decodes the whole list each time and emits what is
 * new, holding back an incomplete UTF-8 sequence (a trailing U+FFFD) until the next token completes it.
 * A context token (the last prompt token) is decoded in front and its text removed, so that tokenizers
 * whose decode depends on the previous token (SentencePiece's leading space) give the right first piece.
 */
public final class TextStreamer {
    private final Tokenizer tokenizer;
    private final List<Integer> ids = new ArrayList<>();
    private final String contextText;
    private final int contextCount;
    private String emitted = "";

    public TextStreamer(Tokenizer tokenizer) {
        this(tokenizer, new int[0]);
    }

    public TextStreamer(Tokenizer tokenizer, int[] context) {
        this.tokenizer = tokenizer;
        for (int id : context) ids.add(id);
        this.contextCount = context.length;
        this.contextText = context.length == 0 ? "" : tokenizer.decode(context, true);
    }

    /** Adds a token; returns the new text (possibly empty). */
    public String add(int id) {
        ids.add(id);
        String full = tokenizer.decode(ids.stream().mapToInt(Integer::intValue).toArray(), true);
        if (full.endsWith("\uFFFD")) return "";
        String text = contextCount > 0 && full.startsWith(contextText) ? full.substring(contextText.length()) : full;
        String delta = text.startsWith(emitted) ? text.substring(emitted.length()) : "";
        emitted = text;
        return delta;
    }

    public String text() { return emitted; }
}
