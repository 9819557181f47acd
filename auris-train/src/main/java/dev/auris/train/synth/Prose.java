package dev.auris.train.synth;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;

/**
 * Prose cut into speakable sentences: the train-only texts of a synthesis ({@code synth.train_texts},
 * {@code auris synth --train-texts}), e.g. the public-domain dictionaries of {@code examples/public-domain-texts.sh}.
 */
public final class Prose {
    private Prose() {}

    /**
     * Whole sentences of prose (lines joined, split after . ! or ?) of minWords..maxWords words, ending in . ! or ?,
     * with no quotation marks, digits or brackets (a TTS engine reads "1911" as words the text does not spell), in
     * text order, each once.
     */
    public static List<String> sentences(String prose, int minWords, int maxWords) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String sent : prose.replaceAll("\\s+", " ").split("(?<=[.!?])\\s+")) {
            String t = sent.strip();
            int words = t.isEmpty() ? 0 : t.split("\\s+").length;
            if (words >= minWords && words <= maxWords && t.matches("[A-Z][A-Za-z ,;:'.!?-]*[.!?]") && !t.contains("--")) out.add(t);
        }
        return new ArrayList<>(out);
    }

    /**
     * The sentences of the prose in {@code file} (plain or gzip) of minWords..maxWords words: {@code max} of them
     * (0: all), drawn with {@code seed}, in text order. A file without one such sentence is an error, not an empty set.
     */
    public static List<String> sentences(Path file, int minWords, int maxWords, int max, long seed) {
        String prose;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            in.mark(2);
            boolean gz = in.read() == 0x1f && in.read() == 0x8b;
            in.reset();
            prose = new String((gz ? new GZIPInputStream(in) : in).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("train texts: cannot read " + file + ": " + e.getMessage(), e);
        }
        List<String> all = sentences(prose, minWords, maxWords);
        if (all.isEmpty()) throw new IllegalArgumentException("train texts: " + file + " has no sentence of " + minWords + "–" + maxWords + " words");
        if (max <= 0 || max >= all.size()) return all;
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) idx.add(i);
        Collections.shuffle(idx, new Random(seed));
        List<Integer> keep = new ArrayList<>(idx.subList(0, max));
        Collections.sort(keep);
        return keep.stream().map(all::get).toList();
    }
}
