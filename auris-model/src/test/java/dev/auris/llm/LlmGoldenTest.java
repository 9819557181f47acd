package dev.auris.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auris.core.Torch;
import dev.auris.core.DType;
import dev.auris.io.Npy;
import dev.auris.testing.Golden;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Numeric contract against the numpy float64 references (cross-checked with llama.cpp to ≤ 1e-6):
 * f32 weights within 1e-4 max abs; bf16 weights within 0.08 (bf16 keeps 8 mantissa bits: the weights
 * alone move these logits, max |logit| ≈ 2, by a few 1e-2), greedy tokens equal for f32.
 */
class LlmGoldenTest {

    @ParameterizedTest
    @CsvSource({"llama-tiny,F32,1e-4", "llama3-tiny,F32,1e-4", "qwen2-tiny,F32,1e-4",
            "llama-tiny,BF16,0.08", "llama3-tiny,BF16,0.08", "qwen2-tiny,BF16,0.08"})
    void allPositionLogitsAndLayers(String model, DType dtype, double tol) {
        JsonNode exp = Golden.json(model);
        int[] ids = Golden.ints(exp.get("input_ids"));
        try (var scope = new PointerScope(); Llm llm = Llm.load(Golden.dir(model), dtype)) {
            List<Tensor> layers = new ArrayList<>();
            Tensor h = llm.forward(llm.embed(Torch.fromInts(ids).unsqueeze(0)), 0, null, null, layers);
            Npy.Array logits = Golden.npy(model, "expected_logits.npy");
            assertEquals(0, Golden.maxAbsDiff(logits.data(), Torch.toFloats(llm.logits(h))), tol, "logits");
            Npy.Array expLayers = Golden.npy(model, "expected_layer_outputs.npy");
            int per = ids.length * llm.config().hiddenSize();
            assertEquals(llm.config().numLayers() + 1, layers.size());
            for (int i = 0; i < layers.size(); i++) {
                float[] e = new float[per];
                System.arraycopy(expLayers.data(), i * per, e, 0, per);
                assertEquals(0, Golden.maxAbsDiff(e, Torch.toFloats(layers.get(i))), tol * 2, "layer output " + i);
            }
            assertEquals(0, Golden.maxAbsDiff(Golden.npy(model, "expected_final_norm.npy").data(), Torch.toFloats(h)), tol * 2, "final norm");
        }
    }

    @ParameterizedTest
    @CsvSource({"llama-tiny,F32,1e-4", "llama3-tiny,F32,1e-4", "qwen2-tiny,F32,1e-4",
            "llama-tiny,BF16,0.08", "llama3-tiny,BF16,0.08", "qwen2-tiny,BF16,0.08"})
    void greedyKvCacheSteps(String model, DType dtype, double tol) {
        JsonNode g = Golden.json(model).get("greedy");
        int[] prompt = Golden.ints(g.get("prompt_ids"));
        int[] expected = Golden.ints(g.get("new_tokens"));
        Npy.Array stepLogits = Golden.npy(model, "expected_greedy_step_logits.npy");
        int v = stepLogits.dim(1);
        try (var scope = new PointerScope(); Llm llm = Llm.load(Golden.dir(model), dtype); Session s = llm.newSession()) {
            Tensor logits = s.prefill(prompt);
            for (int i = 0; i < expected.length; i++) {
                float[] got = Torch.toFloats(logits);
                assertEquals(0, Golden.maxAbsDiff(Golden.rows(stepLogits.data(), v, i, 1), got), tol, "step " + i);
                int next = argmax(got);
                if (dtype == DType.F32) assertEquals(expected[i], next, "greedy token " + i);
                logits = s.step(expected[i]);
            }
            assertEquals(prompt.length + expected.length, s.position());
        }
    }

    @ParameterizedTest
    @CsvSource({"llama-tiny,F32,1e-4", "llama3-tiny,F32,1e-4", "qwen2-tiny,F32,1e-4", "llama3-tiny,BF16,0.1"})
    void longSequence512(String model, DType dtype, double tol) {
        int[] ids = Golden.ints(Golden.json(model).get("long_test").get("input_ids"));
        assertEquals(512, ids.length);
        try (var scope = new PointerScope(); Llm llm = Llm.load(Golden.dir(model), dtype)) {
            Tensor h = llm.forward(llm.embed(Torch.fromInts(ids).unsqueeze(0)), 0, null, null, null);
            assertEquals(0, Golden.maxAbsDiff(Golden.npy(model, "expected_logits_long.npy").data(), Torch.toFloats(llm.logits(h))), tol);
        }
    }

    @ParameterizedTest
    @CsvSource({"llama-tiny", "llama3-tiny", "qwen2-tiny"})
    void ropeInverseFrequencies(String model) {
        LlmConfig c = LlmConfig.read(Golden.dir(model).resolve("config.json"));
        float[] exp = Golden.npy(model, "expected_rope_inv_freq.npy").data();
        double[] got = new Rope(c).invFreq();
        for (int i = 0; i < exp.length; i++) assertEquals(exp[i], got[i], Math.abs(exp[i]) * 1e-6, "inv_freq " + i);
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
