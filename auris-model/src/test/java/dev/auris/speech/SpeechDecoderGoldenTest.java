package dev.auris.speech;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.CheckpointException;
import dev.auris.io.Npy;
import dev.auris.io.SafeTensors;
import dev.auris.io.SafeTensorsWriter;
import dev.auris.testing.Golden;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * LLaMA-Omni's speech generator on a random-weight checkpoint in the released Hugging Face layout
 * (testdata/golden/speech/llama-omni-tiny) against the numpy port of {@code SpeechGeneratorCTC}
 * (refimpl_speech.py): log-probs within 1e-4, frame labels and units equal.
 */
class SpeechDecoderGoldenTest {
    static final String DIR = "speech/llama-omni-tiny";

    @TempDir
    Path tmp;

    @Test
    void matchesNumpyReference() {
        Npy.Array reps = Golden.npy(DIR, "reps.npy"), expected = Golden.npy(DIR, "expected_log_probs.npy");
        JsonNode ex = Golden.json(DIR);
        try (SpeechDecoder d = SpeechDecoder.load(Golden.dir(DIR), DType.F32); PointerScope scope = new PointerScope()) {
            SpeechDecoderConfig c = d.config();
            assertEquals(3, c.upsampleFactor());
            assertEquals(20, c.blank());
            assertEquals(24, c.width());
            Tensor h = Torch.fromFloats(reps.data(), reps.shape());
            float[] lp = Torch.toFloats(d.logProbs(h));
            double err = Golden.maxAbsDiff(expected.data(), lp);
            System.out.printf("speech decoder log-probs [%d, %d]: max |Δ| vs numpy %.2e%n", expected.dim(0), expected.dim(1), err);
            assertTrue(err < 1e-4, "max |Δ| " + err);
            assertArrayEquals(Golden.ints(ex.get("ctc_pred")), Arrays.stream(d.predict(h)).mapToInt(x -> (int) x).toArray());
            assertArrayEquals(Golden.ints(ex.get("units")), Arrays.stream(d.units(h)).mapToInt(x -> (int) x).toArray());
        }
    }

    /** Token ids → the directory's own Llama (final-normed states) → the states that predicted the answer tokens → the speech generator. */
    @Test
    void endToEndFromTokenIds() {
        JsonNode ex = readJson("expected_from_ids.json");
        int[] ids = Golden.ints(ex.get("input_ids"));
        int p = ex.get("prompt_length").asInt();
        try (dev.auris.llm.Llm llm = dev.auris.llm.Llm.load(Golden.dir(DIR), DType.F32); dev.auris.llm.Session s = llm.newSession().keepHidden(true);
             SpeechDecoder d = SpeechDecoder.load(Golden.dir(DIR), DType.F32); PointerScope scope = new PointerScope()) {
            s.prefill(ids);
            Tensor hidden = s.lastHidden();                                                       // [12, 16]
            double errH = Golden.maxAbsDiff(Golden.npy(DIR, "expected_llm_hidden.npy").data(), Torch.toFloats(hidden));
            Tensor states = hidden.narrow(0, p - 1, ids.length - p);                              // predicted answer tokens 1..7
            double errL = Golden.maxAbsDiff(Golden.npy(DIR, "expected_log_probs_from_ids.npy").data(), Torch.toFloats(d.logProbs(states)));
            System.out.printf("LLaMA-Omni tiny from token ids: LLM hidden max |Δ| %.2e, speech generator log-probs max |Δ| %.2e%n", errH, errL);
            assertTrue(errH < 1e-4 && errL < 1e-4, errH + " / " + errL);
            assertArrayEquals(Golden.ints(ex.get("units")), Arrays.stream(d.units(states)).mapToInt(x -> (int) x).toArray());
        }
    }

    private static JsonNode readJson(String file) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(Golden.dir(DIR).resolve(file).toFile());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void trainingLossIsCtcOverTheUpsampledFrames() {
        Npy.Array reps = Golden.npy(DIR, "reps.npy");
        try (SpeechDecoder d = SpeechDecoder.load(Golden.dir(DIR), DType.F32); PointerScope scope = new PointerScope()) {
            Tensor h = Torch.fromFloats(reps.data(), reps.shape());
            long[] shortTarget = {3, 7, 7, 1}, longTarget = new long[25];          // 25 units > λT = 21 frames
            for (int i = 0; i < longTarget.length; i++) longTarget[i] = i % 20;
            double viaLogits = Torch.toFloats(UnitCtc.loss(java.util.List.of(d.logits(h)), java.util.List.<long[]>of(shortTarget), d.config().blank()))[0];
            double loss = Torch.toFloats(d.loss(java.util.List.of(h), java.util.List.<long[]>of(shortTarget)))[0];
            assertEquals(viaLogits, loss, 1e-6);
            double batch = Torch.toFloats(d.loss(java.util.List.of(h, h), java.util.List.of(shortTarget, longTarget)))[0];
            assertTrue(Double.isFinite(batch) && batch > 0, "loss with a target longer than λT: " + batch);
        }
    }

    @Test
    void uniformAssignmentIsRepetitionWhenNoTargetIsLonger() {
        for (int t = 1; t < 60; t++) {
            for (int lam = 1; lam < 30; lam++) {
                long[] idx = SpeechDecoder.uniformAssignment(t, t * lam);
                for (int j = 0; j < idx.length; j++) assertEquals(j / lam, idx[j], "T=" + t + " λ=" + lam + " frame " + j);
            }
        }
        assertArrayEquals(new long[]{0, 0, 0, 1, 1, 2, 2}, SpeechDecoder.uniformAssignment(3, 7)); // target longer than λT
    }

    @Test
    void wrongShapeNamesTheTensor() throws Exception {
        Path dst = copyWith("speech_generator.layers.1.mlp.up_proj.weight", new long[]{40, 16});
        String m = assertThrows(CheckpointException.class, () -> SpeechDecoder.load(dst, DType.F32).close()).getMessage();
        assertTrue(m.contains("speech_generator.layers.1.mlp.up_proj.weight") && m.contains("[40, 16]") && m.contains("[40, 24]"), m);
    }

    @Test
    void missingTensorAndBadConfigAreClear() throws Exception {
        Path dst = copyWith("speech_generator.output_proj.bias", null);
        String m = assertThrows(CheckpointException.class, () -> SpeechDecoder.load(dst, DType.F32).close()).getMessage();
        assertTrue(m.contains("speech_generator.output_proj.bias") && m.contains("missing"), m);
        Files.writeString(dst.resolve("config.json"), Files.readString(dst.resolve("config.json")).replace("\"(2,24,3,40)\"", "\"2,24,3\""));
        m = assertThrows(CheckpointException.class, () -> SpeechDecoder.load(dst, DType.F32).close()).getMessage();
        assertTrue(m.contains("ctc_decoder_config"), m);
    }

    /** A copy of the golden directory with one tensor replaced by zeros of {@code shape} (or dropped when null). */
    private Path copyWith(String name, long[] shape) throws Exception {
        Path src = Golden.dir(DIR), dst = tmp.resolve("variant");
        Files.createDirectories(dst);
        Files.copy(src.resolve("config.json"), dst.resolve("config.json"));
        Map<String, SafeTensorsWriter.Entry> t = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(src.resolve("model.safetensors"))) {
            for (var e : st.tensors().values()) {
                if (e.name().equals(name)) {
                    if (shape != null) t.put(name, new SafeTensorsWriter.Entry(DType.F32, shape, java.nio.ByteBuffer.allocate((int) (shape[0] * shape[1] * 4))));
                } else {
                    t.put(e.name(), new SafeTensorsWriter.Entry(e.dtype(), e.shape(), st.data(e.name())));
                }
            }
            SafeTensorsWriter.write(dst.resolve("model.safetensors"), t, Map.of());
        }
        return dst;
    }
}
