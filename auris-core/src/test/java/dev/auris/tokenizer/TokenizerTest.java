package dev.auris.tokenizer;

import dev.auris.core.Home;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Tokenizer contract: byte-level BPE (Qwen3, Llama 3) round-trips any text exactly, with no truncation at
 * DJL's default 512 tokens; special tokens resolve to their ids; the llama2.c tokenizer merges, falls back
 * to bytes for characters outside its vocabulary, and decodes back to the input.
 */
class TokenizerTest {
    static final String MULTILINGUAL = """
            Hello, world! 👋🏽 How are you today? It's 3.14159 o'clock & 42°C — isn't that odd?
            Grüße aus München: Äpfel, Öl, Übermut, Straße, schön, Fußgängerübergänge.
            Le garçon a mangé une crème brûlée à l'hôtel près de la forêt; où est-il? Ça va, Noël, naïve.
            你好，世界！我们今天去北京吃烤鸭。机器学习很有趣。
            日本語のテキスト：こんにちは、カタカナとひらがな、そして漢字。東京タワー🗼
            Привет, мир! Съешь же ещё этих мягких французских булок, да выпей чаю.
            مرحبا بالعالم، كيف حالك اليوم؟
            Emoji: 🚀🔥✨ 👨‍👩‍👧‍👦 🇩🇪 ❤️ 🤖
            def f(x: int) -> dict:
                \"\"\"Docstring with\ttabs.\"\"\"
                return {"a": x ** 2, 'b': [1, 2, 3]}  # comment
            if (a && b || !c) { printf("%d\\n", i++); }   \s
              trailing   spaces   and\r\nCRLF lines\r\n""";

    static HfTokenizer qwen3, llama3;

    @BeforeAll
    static void load() {
        qwen3 = HfTokenizer.load(Home.resolve("assets/tokenizers/qwen3/tokenizer.json"));
        llama3 = HfTokenizer.load(Home.resolve("assets/tokenizers/llama3/tokenizer.json"));
    }

    @AfterAll
    static void close() {
        if (qwen3 != null) qwen3.close();
        if (llama3 != null) llama3.close();
    }

    @Test
    void multilingualRoundTripIsExact() {
        for (HfTokenizer t : new HfTokenizer[]{qwen3, llama3}) {
            int[] ids = t.encode(MULTILINGUAL);
            assertTrue(ids.length > 100 && ids.length < MULTILINGUAL.getBytes(StandardCharsets.UTF_8).length, "token count " + ids.length);
            for (int id : ids) assertTrue(id >= 0 && id < t.vocabSize(), "id " + id);
            assertEquals(MULTILINGUAL, t.decode(ids));
            assertEquals(MULTILINGUAL, t.decode(ids, false), "no special tokens in the text");
            // each line on its own too (no state carried between calls)
            for (String line : MULTILINGUAL.split("\n")) assertEquals(line, t.decode(t.encode(line)), line);
        }
    }

    @Test
    void knownEncodings() {
        // reference ids from the Hugging Face tokenizers (transformers AutoTokenizer, add_special_tokens=False)
        assertArrayEquals(new int[]{9707, 1879}, qwen3.encode("Hello world"));
        assertArrayEquals(new int[]{9906, 1917}, llama3.encode("Hello world"));
        assertEquals(0, qwen3.encode("").length);
        assertEquals("", qwen3.decode(new int[0]));
    }

    @Test
    void longTextIsNotTruncated() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 20_000; i++) {
            sb.append("Sentence ").append(i).append(": the quick brown fox jumps over the lazy dog; ")
                    .append("der schnelle braune Fuchs springt über den faulen Hund. 狐狸跳过了懒狗。 🦊\n");
        }
        String text = sb.toString();
        for (HfTokenizer t : new HfTokenizer[]{qwen3, llama3}) {
            int[] ids = t.encode(text);
            assertTrue(ids.length > 2000, "only " + ids.length + " tokens");
            assertEquals(text, t.decode(ids), "round trip of " + ids.length + " tokens");
        }
    }

    @Test
    void specialTokens() {
        assertEquals(OptionalInt.of(151645), qwen3.tokenId("<|im_end|>"));
        assertEquals(OptionalInt.of(151644), qwen3.tokenId("<|im_start|>"));
        assertEquals(OptionalInt.of(151643), qwen3.tokenId("<|endoftext|>"));
        assertEquals(OptionalInt.of(151645), qwen3.eosId(), "tokenizer_config.json eos_token");
        assertEquals(OptionalInt.empty(), qwen3.bosId(), "Qwen has no BOS");
        assertEquals(151669, qwen3.vocabSize());

        assertEquals(OptionalInt.of(128009), llama3.tokenId("<|eot_id|>"));
        assertEquals(OptionalInt.of(128000), llama3.tokenId("<|begin_of_text|>"));
        assertEquals(OptionalInt.of(128000), llama3.bosId());
        assertEquals(OptionalInt.of(128001), llama3.eosId());
        assertEquals(128256, llama3.vocabSize());

        // ordinary single-token words resolve too; multi-token strings and unknown markers do not
        assertEquals(OptionalInt.of(9707), qwen3.tokenId("Hello"));
        assertEquals(OptionalInt.empty(), qwen3.tokenId("<|no_such_token|>"));

        // a special token inside text is one id; skipSpecial drops it on decode
        int[] ids = qwen3.encode("<|im_start|>user\nHi!<|im_end|>");
        assertEquals(151644, ids[0]);
        assertEquals(151645, ids[ids.length - 1]);
        assertEquals("<|im_start|>user\nHi!<|im_end|>", qwen3.decode(ids, false));
        assertEquals("user\nHi!", qwen3.decode(ids, true));
        int[] l = llama3.encode("Hi<|eot_id|>");
        assertEquals(128009, l[l.length - 1]);
        assertEquals("Hi", llama3.decode(l));
    }

    @Test
    void qwenNormalizesToNfc() {
        // Qwen's tokenizer.json has an NFC normalizer: a decomposed é comes back composed
        assertEquals("café", qwen3.decode(qwen3.encode("cafe\u0301")));
        assertArrayEquals(qwen3.encode("café"), qwen3.encode("cafe\u0301"));
    }

    @Test
    void missingTokenizerFile() {
        var e = assertThrows(IllegalArgumentException.class, () -> HfTokenizer.load(Home.resolve("assets/tokenizers/nope/tokenizer.json")));
        assertTrue(e.getMessage().contains("tokenizer not found") && e.getMessage().contains("nope"), e.getMessage());
    }

    // ---------------------------------------------------------------- llama2.c

    static Llama2cTokenizer stories() {
        return Llama2cTokenizer.load(Home.resolve("assets/llm/stories260K/tok512.bin"), 512);
    }

    @Test
    void llama2cContinuationHasNoLoneDummySpace() {
        Llama2cTokenizer t = stories();
        int[] sentence = t.encode("Lily was happy. She smiled.");
        int split = 4; // "Lily was happy." | " She smiled." as a model generates it
        int[] prompt = Arrays.copyOf(sentence, split), answer = Arrays.copyOfRange(sentence, split, sentence.length);
        String answerText = t.decode(sentence).substring(t.decode(prompt).length());
        assertTrue(answerText.startsWith(" "), "a decoded continuation starts with its space: '" + answerText + "'");
        assertArrayEquals(answer, t.encodeContinuation(answerText), "the continuation re-encodes to the tokens generated");
        assertNotEquals(t.encode(answerText)[0], answer[0], "plain encode would add a lone dummy-prefix space token");
    }

    @Test
    void llama2cRoundTrip() {
        Llama2cTokenizer t = stories();
        assertEquals(512, t.vocabSize());
        assertEquals(OptionalInt.of(1), t.bosId());
        assertEquals(OptionalInt.of(2), t.eosId());
        int[] ids = t.encode("Once upon a time");
        assertTrue(ids.length >= 2 && ids.length < "Once upon a time".length(), "merged into " + ids.length + " tokens: " + Arrays.toString(ids));
        for (int id : ids) assertTrue(id > 2 && id < 512, "id " + id);
        assertEquals("Once upon a time", t.decode(ids));
        // with BOS in front (as generation feeds it) the text is the same
        int[] withBos = new int[ids.length + 1];
        withBos[0] = Llama2cTokenizer.BOS;
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        assertEquals("Once upon a time", t.decode(withBos));
        for (String s : new String[]{"Lily and Tom went to the park.", "The cat sat.\nThe dog ran!", " leading space", "a"}) {
            assertEquals(s, t.decode(t.encode(s)), s);
        }
    }

    @Test
    void llama2cByteFallback() {
        Llama2cTokenizer t = stories();
        assertTrue(t.tokenId("ü").isEmpty(), "ü is not in the 512-token vocabulary: the test needs a non-vocab char");
        int[] ids = t.encode("Tüt");
        // ü = UTF-8 C3 BC -> byte tokens <0xC3>, <0xBC> = byte + 3
        int at = indexOf(ids, 0xC3 + 3);
        assertTrue(at >= 0 && at + 1 < ids.length && ids[at + 1] == 0xBC + 3, Arrays.toString(ids));
        assertEquals(OptionalInt.of(0xC3 + 3), t.tokenId("<0xC3>"));
        assertEquals("Tüt", t.decode(ids));
        // é is a vocabulary piece of its own (id 485), no byte fallback
        assertEquals(OptionalInt.of(485), t.tokenId("é"));
        assertTrue(indexOf(t.encode("café"), 485) >= 0, Arrays.toString(t.encode("café")));
        assertEquals("café", t.decode(t.encode("café")));
        for (String s : new String[]{"The rocket 🚀 flew.", "Grüße, 你好", "👋🏽", "ü"}) assertEquals(s, t.decode(t.encode(s)), s);
        int[] rocket = t.encode("🚀"); // F0 9F 9A 80
        assertTrue(indexOf(rocket, 0xF0 + 3) >= 0 && indexOf(rocket, 0x80 + 3) >= 0, Arrays.toString(rocket));
    }

    @Test
    void llama2cEmptyAndErrors() {
        Llama2cTokenizer t = stories();
        assertEquals(0, t.encode("").length);
        assertEquals("", t.decode(new int[0]));
        assertEquals("", t.decode(new int[]{Llama2cTokenizer.BOS, Llama2cTokenizer.EOS}));
        var e = assertThrows(IllegalArgumentException.class, () -> Llama2cTokenizer.load(Home.resolve("assets/llm/stories260K/tok512.bin"), 32000));
        assertTrue(e.getMessage().contains("has 512 tokens") && e.getMessage().contains("32000"), e.getMessage());
        assertEquals(512, Llama2cTokenizer.load(Home.resolve("assets/llm/stories260K/tok512.bin"), -1).vocabSize(), "whole file");
    }

    static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }
}
