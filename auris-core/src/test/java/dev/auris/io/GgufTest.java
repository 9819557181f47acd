package dev.auris.io;

import dev.auris.core.Home;
import dev.auris.tokenizer.GgufVocab;
import dev.auris.tokenizer.Llama2cTokenizer;
import dev.auris.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The GGUF reader against files written by llama.cpp's gguf-py (testdata/golden/gguf-tiny/make.py): metadata of
 * every value type, each tensor type dequantized equal to gguf-py's own numpy dequantization (max |Δ| ≤ 1e-6;
 * it is 0), the SentencePiece vocabulary as the llama2.c tokenizer it came from.
 */
class GgufTest {
    static Path golden(String file) { return Home.resolve("testdata/golden/gguf-tiny/" + file); }

    @Test
    void metadataOfEveryValueType() {
        try (Gguf g = Gguf.open(golden("types.gguf"))) {
            assertEquals(3, g.version());
            assertEquals(32, g.alignment());
            assertEquals("llama", g.architecture());
            Map<String, Object> m = g.metadata();
            assertEquals(200, m.get("test.u8"));
            assertEquals(-100, m.get("test.i8"));
            assertEquals(60000, m.get("test.u16"));
            assertEquals(-30000, m.get("test.i16"));
            assertEquals(4000000000L, m.get("test.u32"));
            assertEquals(-2000000000, m.get("test.i32"));
            assertEquals(0.25f, m.get("test.f32"));
            assertEquals(true, m.get("test.bool"));
            assertEquals("héllo ▁", m.get("test.string"));
            assertEquals("9223372036854775813", Long.toUnsignedString((Long) m.get("test.u64")));
            assertEquals(-(1L << 40), m.get("test.i64"));
            assertEquals(1e-300, m.get("test.f64"));
            assertEquals(List.of(1, -2, 3), m.get("test.ints"));
            assertEquals(List.of("a", "", "ccc"), m.get("test.strings"));
            assertEquals(List.of(List.of(1, 2), List.of(3)), m.get("test.nested"));
            assertEquals(List.of(0.5f, -1.5f), m.get("test.floats"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k", "q5_k", "q6_k"})
    void dequantizesAsGgufPy(String type) {
        try (Gguf g = Gguf.open(golden("types.gguf"))) {
            GgufTensorInfo t = g.info(type);
            assertEquals(type.toUpperCase(), t.type().name());
            assertArrayEquals(new long[]{3, 512}, t.shape());
            float[] want = g.floats(type + ".expected"), got = g.floats(type);
            double err = 0;
            for (int i = 0; i < want.length; i++) err = Math.max(err, Math.abs(want[i] - got[i]));
            assertTrue(err <= 1e-6, type + ": max |Δ| " + err);
            System.out.printf("GGUF %s: %d values, max |Δ| vs gguf-py %.1e%n", type, got.length, err);
        }
    }

    @Test
    void namesMapBothWays() {
        assertEquals("blk.1.attn_q.weight", GgufNames.toGguf("model.layers.1.self_attn.q_proj.weight").orElseThrow());
        assertEquals("blk.0.ffn_down.weight", GgufNames.toGguf("model.layers.0.mlp.down_proj.weight").orElseThrow());
        assertEquals("output.weight", GgufNames.toGguf("lm_head.weight").orElseThrow());
        assertEquals("model.layers.7.post_attention_layernorm.weight", GgufNames.toHf("blk.7.ffn_norm.weight").orElseThrow());
        assertEquals("model.embed_tokens.weight", GgufNames.toHf("token_embd.weight").orElseThrow());
        assertTrue(GgufNames.toGguf("model.layers.0.mlp.experts.weight").isEmpty());
    }

    @Test
    void unpermuteInvertsTheConverterPermutation() {
        float[] x = new float[8 * 3];
        for (int i = 0; i < x.length; i++) x[i] = i;
        assertArrayEquals(x, GgufWeights.unpermute(GgufWeights.permute(x, 2, 8, 3), 2, 8, 3));
        // one head of 4 rows: HF rows [r0 r1 | r2 r3] (halves) are stored interleaved as r0 r2 r1 r3
        float[] p = GgufWeights.permute(new float[]{0, 1, 2, 3}, 1, 4, 1);
        assertArrayEquals(new float[]{0, 2, 1, 3}, p);
    }

    @Test
    void sentencePieceVocabularyEncodesAsTheLlama2cTokenizer() {
        Tokenizer ref = Llama2cTokenizer.load(Home.resolve("assets/llm/stories260K/tok512.bin"), -1);
        try (Gguf g = Gguf.open(golden("vocab.gguf"))) {
            Tokenizer tok = GgufVocab.tokenizer(g);
            assertEquals(512, tok.vocabSize());
            for (String s : List.of("Once upon a time, there was a little girl named Lily.", "héllo wörld ☃ 123", "", " two  spaces")) {
                assertArrayEquals(ref.encode(s), tok.encode(s), s);
                assertEquals(ref.decode(ref.encode(s)), tok.decode(tok.encode(s)), s);
            }
            assertEquals(1, tok.bosId().getAsInt());
            assertEquals(2, tok.eosId().getAsInt());
        }
    }

    @Test
    void bytePairVocabularyEncodesAsTheReference() throws Exception {
        try (Gguf g = Gguf.open(golden("bpe-vocab.gguf"))) {
            Tokenizer tok = GgufVocab.tokenizer(g);
            List<?> texts = g.array("test.texts"), ids = g.array("test.ids");
            assertEquals(4, texts.size());
            for (int i = 0; i < texts.size(); i++) {
                String text = (String) texts.get(i);
                int[] want = ((List<?>) ids.get(i)).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
                assertArrayEquals(want, tok.encode(text), text);
                assertEquals(text, tok.decode(want, false), text);
            }
            assertEquals(g.integer("tokenizer.ggml.bos_token_id").getAsLong(), tok.bosId().getAsInt());
            assertEquals(g.integer("tokenizer.ggml.eos_token_id").getAsLong(), tok.eosId().getAsInt());
            if (tok instanceof AutoCloseable c) c.close();
        }
    }
}
