package dev.auris.llm;

import dev.auris.encoder.WhisperEncoder;
import dev.auris.io.CheckpointException;
import dev.auris.core.DType;
import dev.auris.io.SafeTensors;
import dev.auris.io.SafeTensorsWriter;
import dev.auris.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.*;

/** A checkpoint that does not fit its config fails with a message naming what is wrong, never a crash. */
class LoadErrorsTest {
    @TempDir
    Path tmp;

    /** A copy of llama-tiny with the config edited and the tensors filtered/replaced. */
    Path variant(String name, UnaryOperator<String> config, Map<String, SafeTensorsWriter.Entry> replace, String drop) throws Exception {
        Path src = Golden.dir("llama-tiny"), dst = tmp.resolve(name);
        Files.createDirectories(dst);
        Files.writeString(dst.resolve("config.json"), config.apply(Files.readString(src.resolve("config.json"))));
        Map<String, SafeTensorsWriter.Entry> t = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(src.resolve("model.safetensors"))) {
            for (var e : st.tensors().values()) {
                if (e.name().equals(drop)) continue;
                t.put(e.name(), new SafeTensorsWriter.Entry(e.dtype(), e.shape(), st.data(e.name())));
            }
            t.putAll(replace);
            SafeTensorsWriter.write(dst.resolve("model.safetensors"), t, Map.of());
        }
        return dst;
    }

    static String message(Path dir) {
        return assertThrows(CheckpointException.class, () -> Llm.load(dir, DType.F32).close()).getMessage();
    }

    @Test
    void missingTensor() throws Exception {
        String m = message(variant("missing", c -> c, Map.of(), "model.layers.1.mlp.up_proj.weight"));
        assertTrue(m.contains("model.layers.1.mlp.up_proj.weight") && m.contains("missing"), m);
    }

    @Test
    void wrongShape() throws Exception {
        var bad = new SafeTensorsWriter.Entry(DType.F32, new long[]{128, 32}, java.nio.ByteBuffer.allocate(128 * 32 * 4));
        String m = message(variant("shape", c -> c, Map.of("model.layers.0.mlp.gate_proj.weight", bad), null));
        assertTrue(m.contains("model.layers.0.mlp.gate_proj.weight") && m.contains("[128, 32]") && m.contains("[128, 64]"), m);
    }

    @Test
    void unsupportedArchitecture() throws Exception {
        String m = message(variant("arch", c -> c.replace("LlamaForCausalLM", "GPT2LMHeadModel"), Map.of(), null));
        assertTrue(m.contains("GPT2LMHeadModel") && m.contains("unsupported architecture"), m);
    }

    @Test
    void configSaysMoreLayersThanTheWeights() throws Exception {
        String m = message(variant("layers", c -> c.replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"), Map.of(), null));
        assertTrue(m.contains("num_hidden_layers=3") && m.contains("2 layers"), m);
    }

    @Test
    void configWidthDisagreesWithWeights() throws Exception {
        String m = message(variant("width", c -> c.replace("\"intermediate_size\": 128", "\"intermediate_size\": 96"), Map.of(), null));
        assertTrue(m.contains("gate_proj.weight") && m.contains("[96, 64]"), m);
    }

    @Test
    void untiedWithoutLmHead() throws Exception {
        String m = message(variant("head", c -> c, Map.of(), "lm_head.weight"));
        assertTrue(m.contains("lm_head.weight") && m.contains("tie_word_embeddings"), m);
    }

    @Test
    void notAModelDirectory() {
        String m = assertThrows(CheckpointException.class, () -> Llm.load(tmp, DType.F32)).getMessage();
        assertTrue(m.contains("no config.json"), m);
        String w = assertThrows(CheckpointException.class, () -> WhisperEncoder.load(Golden.dir("llama-tiny"), DType.F32)).getMessage();
        assertTrue(w.contains("not 'whisper'"), w);
    }

    @Test
    void overLongPromptIsAClearError() throws Exception {
        try (Llm llm = Llm.load(variant("ctx", c -> c.replace("\"max_position_embeddings\": 4096", "\"max_position_embeddings\": 16"), Map.of(), null), DType.F32);
             Session s = llm.newSession(); var scope = new org.bytedeco.javacpp.PointerScope()) {
            var e = assertThrows(IllegalArgumentException.class, () -> s.prefill(new int[20]));
            assertTrue(e.getMessage().contains("exceeds the model's context of 16"), e.getMessage());
            s.prefill(new int[10]); // the session is still usable
            assertEquals(10, s.position());
            assertThrows(IllegalArgumentException.class, () -> s.prefill(new int[]{300}), "token outside the vocabulary");
        }
    }
}
