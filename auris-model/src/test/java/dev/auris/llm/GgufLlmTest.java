package dev.auris.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.Npy;
import dev.auris.testing.Golden;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * llama-tiny as llama.cpp's gguf-py wrote it (testdata/golden/gguf-tiny/make.py, q/k rows permuted as
 * convert_hf_to_gguf.py does): F32 logits equal the safetensors model's within 1e-4; Q8_0 / Q4_0 logits equal
 * a numpy float64 forward on gguf-py's dequantization of the same file within 1e-4.
 */
class GgufLlmTest {
    static Path gguf(String type) { return Golden.dir("gguf-tiny").resolve("llama-tiny-" + type + ".gguf"); }

    static float[] logits(Llm llm, int[] ids) {
        return Torch.toFloats(llm.logits(llm.forward(llm.embed(Torch.fromInts(ids).unsqueeze(0)), 0, null, null, null)));
    }

    @Test
    void f32EqualsTheSafetensorsModel() {
        int[] ids = Golden.ints(Golden.json("llama-tiny").get("input_ids"));
        try (var scope = new PointerScope(); Llm g = Llm.load(gguf("f32"), DType.F32); Llm st = Llm.load(Golden.dir("llama-tiny"), DType.F32)) {
            LlmConfig a = g.config(), b = st.config();
            assertEquals(b.hiddenSize(), a.hiddenSize());
            assertEquals(b.intermediateSize(), a.intermediateSize());
            assertEquals(b.numLayers(), a.numLayers());
            assertEquals(b.numHeads(), a.numHeads());
            assertEquals(b.numKvHeads(), a.numKvHeads());
            assertEquals(b.headDim(), a.headDim());
            assertEquals(b.vocabSize(), a.vocabSize());
            assertEquals(b.rmsNormEps(), a.rmsNormEps(), 1e-12);
            assertEquals(b.ropeTheta(), a.ropeTheta(), 1e-9);
            assertEquals(b.tieWordEmbeddings(), a.tieWordEmbeddings());
            assertEquals(b.maxPositionEmbeddings(), a.maxPositionEmbeddings());
            double vsSt = Golden.maxAbsDiff(logits(st, ids), logits(g, ids));
            double vsRef = Golden.maxAbsDiff(Golden.npy("llama-tiny", "expected_logits.npy").data(), logits(g, ids));
            System.out.printf("GGUF F32 llama-tiny: max |Δ logits| vs safetensors %.1e, vs numpy reference %.1e%n", vsSt, vsRef);
            assertTrue(vsSt < 1e-4 && vsRef < 1e-4, vsSt + " / " + vsRef);
            for (var e : st.baseTensors().entrySet()) {  // the weights themselves: the permutation undone exactly
                assertEquals(0, Golden.maxAbsDiff(Torch.toFloats(e.getValue()), Torch.toFloats(g.baseTensors().get(e.getKey()))), 0, e.getKey());
            }
        }
    }

    @Test
    void f32GreedyDecodeWithTheKvCache() {
        JsonNode gr = Golden.json("llama-tiny").get("greedy");
        int[] prompt = Golden.ints(gr.get("prompt_ids")), expected = Golden.ints(gr.get("new_tokens"));
        try (var scope = new PointerScope(); Llm llm = Llm.load(gguf("f32"), DType.F32); Session s = llm.newSession()) {
            Tensor logits = s.prefill(prompt);
            for (int want : expected) {
                int got = (int) logits.argmax().item_long();
                assertEquals(want, got);
                logits = s.prefill(new int[]{got});
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"q8_0", "q4_0"})
    void quantizedEqualsItsDequantizedWeights(String type) {
        int[] ids = Golden.ints(Golden.json("llama-tiny").get("input_ids"));
        try (var scope = new PointerScope(); Llm llm = Llm.load(gguf(type), DType.F32)) {
            Npy.Array want = Golden.npy("gguf-tiny", "expected_logits_" + type + ".npy");
            double err = Golden.maxAbsDiff(want.data(), logits(llm, ids));
            double moved = Golden.maxAbsDiff(Golden.npy("llama-tiny", "expected_logits.npy").data(), want.data());
            System.out.printf("GGUF %s llama-tiny: max |Δ logits| vs numpy on gguf-py's dequantized weights %.1e (quantization moved them %.1e)%n", type, err, moved);
            assertTrue(err < 1e-4, type + ": " + err);
        }
    }

    /** Llama 3.1 RoPE scaling travels in GGUF as a rope_freqs.weight table; it reads back as config.json's rope_scaling. */
    @Test
    void llama3RopeFactorsReadBackAsTheConfigsScaling() {
        Path file = Golden.dir("gguf-tiny").resolve("llama3-tiny-q8_0.gguf");
        LlmConfig json = LlmConfig.read(Golden.dir("llama3-tiny").resolve("config.json"));
        try (dev.auris.io.Gguf g = dev.auris.io.Gguf.open(file)) {
            LlmConfig c = GgufConfig.read(g);
            assertEquals(json.ropeScaling(), c.ropeScaling());
            assertTrue(c.tieWordEmbeddings());
            float[] want = Golden.npy("llama3-tiny", "expected_rope_inv_freq.npy").data();
            double[] got = new Rope(c).invFreq();
            for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-6 * want[i], "inv_freq " + i);
        }
        int[] ids = Golden.ints(Golden.json("llama3-tiny").get("input_ids"));
        try (var scope = new PointerScope(); Llm llm = Llm.load(file, DType.F32)) {
            double err = Golden.maxAbsDiff(Golden.npy("llama3-tiny", "expected_logits.npy").data(), logits(llm, ids));
            System.out.printf("GGUF Q8_0 llama3-tiny: logits within %.1e of the F32 reference (Q8_0 rounding)%n", err);
            assertTrue(err < 0.05, "" + err);
        }
    }

    @Test
    void textModelFromGgufHasItsTokenizer() {
        try (var scope = new PointerScope(); TextModel m = TextModel.load(gguf("q8_0"), DType.F32)) {
            assertEquals(256, m.tokenizer().vocabSize());
            assertEquals(1, m.tokenizer().bosId().getAsInt());
            assertTrue(m.eosIds().contains(2));
            int[] ids = m.tokenizer().encode("the red hat");
            assertEquals("the red hat", m.tokenizer().decode(ids));
            try (Session s = m.llm().newSession()) {
                assertEquals(256, Torch.shape(s.prefill(ids))[0]);
            }
            var template = dev.auris.prompt.ChatTemplate.load(gguf("q8_0"), m.tokenizer()).orElseThrow();  // tokenizer.chat_template
            assertEquals("<s>user: hi\nassistant:", template.render(java.util.List.of(dev.auris.prompt.ChatTemplate.Message.user("hi")), true));
        }
    }
}
