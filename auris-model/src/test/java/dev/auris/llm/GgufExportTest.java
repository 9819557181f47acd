package dev.auris.llm;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.GgmlType;
import dev.auris.io.Gguf;
import dev.auris.io.GgufTensorInfo;
import dev.auris.testing.Fixtures;
import dev.auris.testing.Golden;
import dev.auris.tokenizer.Tokenizer;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code auris quantize}'s writer read back: llama-tiny written as Q8_0 / Q4_0 holds byte for byte the tensors
 * gguf-py's quantizer wrote into testdata/golden/gguf-tiny (same names, types, shapes, permuted q/k rows), and runs
 * to the logits of the numpy forward on their dequantization; stories260K as F32 GGUF with its vocabulary
 * tokenizes and predicts as the safetensors directory.
 */
class GgufExportTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"q8_0", "q4_0"})
    void quantizesAsGgufPy(String type) {
        Path out = tmp.resolve("llama-tiny-" + type + ".gguf");
        GgufExport.write(Golden.dir("llama-tiny"), GgmlType.valueOf(type.toUpperCase()), out);
        int differing = 0;
        try (Gguf mine = Gguf.open(out); Gguf ref = Gguf.open(GgufLlmTest.gguf(type))) {
            assertEquals(ref.tensors().keySet(), mine.tensors().keySet());
            for (GgufTensorInfo r : ref.tensors().values()) {
                GgufTensorInfo m = mine.info(r.name());
                assertEquals(r.type(), m.type(), r.name());
                assertArrayEquals(r.ne(), m.ne(), r.name());
                if (!Arrays.equals(ref.data(r.name()).toArray(ValueLayout.JAVA_BYTE), mine.data(r.name()).toArray(ValueLayout.JAVA_BYTE))) differing++;
            }
            for (String key : new String[]{"llama.embedding_length", "llama.block_count", "llama.feed_forward_length", "llama.attention.head_count",
                    "llama.attention.head_count_kv", "llama.context_length", "llama.rope.dimension_count", "general.file_type"}) {
                assertEquals(ref.integer(key), mine.integer(key), key);
            }
            assertEquals(ref.number("llama.rope.freq_base"), mine.number("llama.rope.freq_base"));
            assertEquals(ref.number("llama.attention.layer_norm_rms_epsilon"), mine.number("llama.attention.layer_norm_rms_epsilon"));
        }
        assertEquals(0, differing, "tensors whose bytes differ from gguf-py's");
        int[] ids = Golden.ints(Golden.json("llama-tiny").get("input_ids"));
        try (var scope = new PointerScope(); Llm llm = Llm.load(out, DType.F32)) {
            double err = Golden.maxAbsDiff(Golden.npy("gguf-tiny", "expected_logits_" + type + ".npy").data(), GgufLlmTest.logits(llm, ids));
            System.out.printf("auris quantize --to %s llama-tiny: bytes equal gguf-py's; logits max |Δ| %.1e%n", type, err);
            assertTrue(err < 1e-4, type + ": " + err);
        }
    }

    /** llama3-tiny (tied embeddings, Llama 3.1 RoPE scaling): the weights byte for byte as gguf-py's, rope_freqs within float rounding. */
    @Test
    void llama3ScalingTravelsAsRopeFreqs() {
        Path out = tmp.resolve("llama3-tiny-q8_0.gguf");
        GgufExport.write(Golden.dir("llama3-tiny"), GgmlType.Q8_0, out);
        try (Gguf mine = Gguf.open(out); Gguf ref = Gguf.open(Golden.dir("gguf-tiny").resolve("llama3-tiny-q8_0.gguf"))) {
            assertEquals(ref.tensors().keySet(), mine.tensors().keySet());
            for (String name : ref.tensors().keySet()) {
                if (name.equals("rope_freqs.weight")) continue;
                assertArrayEquals(ref.data(name).toArray(ValueLayout.JAVA_BYTE), mine.data(name).toArray(ValueLayout.JAVA_BYTE), name);
            }
            float[] a = ref.floats("rope_freqs.weight"), b = mine.floats("rope_freqs.weight");
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-6 * a[i], "rope_freqs " + i);
            assertEquals(LlmConfig.read(Golden.dir("llama3-tiny").resolve("config.json")).ropeScaling(), GgufConfig.read(mine).ropeScaling());
        }
    }

    @Test
    void stories260KAsF32GgufWithItsVocabulary() {
        Path dir = Fixtures.stories260K(tmp);
        Path out = tmp.resolve("stories260K.gguf");
        GgufExport.write(dir, GgmlType.F32, out);
        String text = "Once upon a time, Lily saw a big dog.";
        try (var scope = new PointerScope(); TextModel g = TextModel.load(out, DType.F32); TextModel st = TextModel.load(dir, DType.F32)) {
            Tokenizer a = g.tokenizer(), b = st.tokenizer();
            assertArrayEquals(b.encode(text), a.encode(text));
            assertTrue(g.eosIds().containsAll(java.util.List.of(2)) && st.eosIds().contains(2));
            int[] ids = b.encode(text);
            try (Session sg = g.llm().newSession(); Session ss = st.llm().newSession()) {
                double err = Golden.maxAbsDiff(Torch.toFloats(ss.prefill(ids)), Torch.toFloats(sg.prefill(ids)));
                assertTrue(err < 1e-4, "last-position logits max |Δ| " + err);
            }
        }
    }
}
