package dev.auris.train.eval;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Word errors on hand-counted cases (each substitution, insertion and deletion named), the normalisation
 * rules one by one, and the edit distance against the textbook recursive definition of Levenshtein
 * distance on thousands of random pairs.
 */
class WerTest {
    @Test
    void normalisationLowersCaseTurnsPunctuationIntoSpacesAndCollapsesWhitespace() {
        assertEquals("hello world", Wer.normalize("Hello, World!"));
        assertEquals("don't stop now", Wer.normalize("  Don't   STOP—now. "));
        assertEquals("café 42", Wer.normalize("Café 42"));
        assertEquals("e mail", Wer.normalize("e-mail"));
        assertEquals("a b", Wer.normalize("\tA\n\nB "));
        assertEquals("", Wer.normalize(" ?! ... "));
        assertArrayEquals(new String[]{"it's", "3", "pm"}, Wer.words("It's 3 PM"));
        assertArrayEquals(new String[]{"p", "m"}, Wer.words("p.m."));
        assertArrayEquals(new String[0], Wer.words(""));
        assertArrayEquals(new String[0], Wer.words(" , "));
    }

    @Test
    void identicalTextsAfterNormalisationHaveNoErrors() {
        assertEquals(0, Wer.errors("the cat sat", "the cat sat"));
        assertEquals(0, Wer.errors("Hello, world!", "hello   world"));
        assertEquals(0, Wer.errors("", ""));
        assertEquals(0, Wer.errors("?!", ""));
    }

    @Test
    void substitutionsInsertionsAndDeletionsCountOneEach() {
        assertEquals(1, Wer.errors("the cat sat", "the cat sit"));              // sat → sit
        assertEquals(3, Wer.errors("a b c", "x y z"));                           // three substitutions
        assertEquals(2, Wer.errors("a b", "a x b y"));                           // x and y inserted
        assertEquals(2, Wer.errors("a b c d", "a d"));                           // b and c deleted
        assertEquals(2, Wer.errors("the cat sat on the mat", "the cat sit on mat")); // sat → sit, second "the" deleted
        assertEquals(2, Wer.errors("a b c d", "b c d a"));                       // a deleted at the start, inserted at the end
        assertEquals(1, Wer.errors("New York", "new-york city"));                // normalised to "new york city": city inserted
    }

    @Test
    void anEmptySideCountsEveryWordOfTheOther() {
        assertEquals(3, Wer.errors("", "one two three"));   // three insertions
        assertEquals(2, Wer.errors("one two", ""));         // two deletions
        assertEquals(2, Wer.errors("one two", "..."));      // punctuation alone is no word
        assertEquals(2, Wer.editDistance(new int[0], new int[]{5, 5}));
        assertEquals(3, Wer.editDistance(new int[]{1, 2, 3}, new int[0]));
    }

    @Test
    void textbookEditDistances() {
        assertEquals(3, Wer.editDistance(chars("kitten"), chars("sitting")));
        assertEquals(2, Wer.editDistance(chars("flaw"), chars("lawn")));
        assertEquals(5, Wer.editDistance(chars("intention"), chars("execution")));
        assertEquals(3, Wer.editDistance(chars("sunday"), chars("saturday")));
        assertEquals(2, Wer.editDistance(new int[]{1, 2, 3}, new int[]{1, 3, 4}));
    }

    @Test
    void editDistanceEqualsTheRecursiveDefinition() {
        Random r = new Random(3);
        for (int n = 0; n < 3000; n++) {
            int[] a = random(r), b = random(r);
            assertEquals(levenshtein(a, b, a.length, b.length), Wer.editDistance(a, b), () -> Arrays.toString(a) + " vs " + Arrays.toString(b));
        }
    }

    static int[] random(Random r) {
        int[] x = new int[r.nextInt(8)];
        for (int i = 0; i < x.length; i++) x[i] = r.nextInt(3);
        return x;
    }

    /** lev(a[..i], b[..j]) straight from the definition (exponential: at most 48639 calls for length 7). */
    static int levenshtein(int[] a, int[] b, int i, int j) {
        if (i == 0) return j;
        if (j == 0) return i;
        return Math.min(Math.min(levenshtein(a, b, i - 1, j) + 1, levenshtein(a, b, i, j - 1) + 1),
                levenshtein(a, b, i - 1, j - 1) + (a[i - 1] == b[j - 1] ? 0 : 1));
    }

    static Character[] chars(String s) {
        return s.chars().mapToObj(c -> (char) c).toArray(Character[]::new);
    }
}
