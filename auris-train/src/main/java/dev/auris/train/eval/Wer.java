package dev.auris.train.eval;

import java.util.Arrays;
import java.util.Locale;

/** Word error rate and edit distance (Levenshtein), with Whisper-style light text normalisation. */
public final class Wer {
    private Wer() {}

    /** Lower case, punctuation to spaces, whitespace collapsed. */
    public static String normalize(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}' ]", " ").replaceAll("\\s+", " ").strip();
    }

    public static String[] words(String s) {
        String n = normalize(s);
        return n.isEmpty() ? new String[0] : n.split(" ");
    }

    /** Word errors (substitutions + insertions + deletions) of {@code hyp} against {@code ref}. */
    public static int errors(String ref, String hyp) {
        return editDistance(words(ref), words(hyp));
    }

    public static <T> int editDistance(T[] a, T[] b) {
        int[] prev = new int[b.length + 1], cur = new int[b.length + 1];
        for (int j = 0; j <= b.length; j++) prev[j] = j;
        for (int i = 1; i <= a.length; i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length; j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1].equals(b[j - 1]) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length];
    }

    public static int editDistance(int[] a, int[] b) {
        return editDistance(Arrays.stream(a).boxed().toArray(Integer[]::new), Arrays.stream(b).boxed().toArray(Integer[]::new));
    }
}
