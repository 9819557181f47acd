package dev.auris.fusion;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.Checkpoint;
import dev.auris.io.Npy;
import dev.auris.nn.Params;
import dev.auris.testing.Golden;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every connector against golden outputs of a plain-numpy float64 re-implementation of its reference
 * (testdata/golden/fusion/make.py names each): features [2, 10, 8], an LLM embedding table [16, 6].
 * Tolerance 1e-5: float32 arithmetic against float64 rounded once.
 */
class ConnectorGoldenTest {
    static final int DE = 8, D = 6, V = 16;

    static Stream<Object[]> cases() {
        return Stream.of(
                new Object[]{"frame-stack-mlp", Map.of("type", "frame-stack-mlp", "k", 3, "hidden", 12)},
                new Object[]{"linear", Map.of("type", "linear", "k", 2)},
                new Object[]{"conv", Map.of("type", "conv", "k", 2, "hidden", 10)},
                new Object[]{"token-mapper", Map.of("type", "token-mapper", "units", 5)},
                new Object[]{"ctc-compress", Map.of("type", "ctc-compress")},
                new Object[]{"ctc-compress-sharp", Map.of("type", "ctc-compress", "temperature", 0.5, "blank_threshold", 0.7)},
                new Object[]{"audio-vocab", Map.of("type", "audio-vocab", "units", 5)},
                new Object[]{"ultravox", Map.of("type", "ultravox", "stack_factor", 3, "hidden", 12)},
                new Object[]{"ultravox-ln-mid", Map.of("type", "ultravox", "stack_factor", 4, "hidden", 10, "ln_mid", true)});
    }

    static Tensor npy(String file) {
        Npy.Array a = Golden.npy("fusion", file);
        return Torch.fromFloats(a.data(), a.shape());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheNumpyReference(String name, Map<String, Object> section) {
        Path dir = Golden.dir("fusion");
        try (Checkpoint weights = Checkpoint.of(dir, List.of(dir.resolve("connector_" + name + ".safetensors"))); PointerScope scope = new PointerScope()) {
            Connector c = Fusion.connector(ConnectorSpec.of(section), DE, D, V, new Params("connector.", weights, DType.F32));
            Npy.Array want = Golden.npy("fusion", "expected_" + name + ".npy");
            Tensor got = c.embed(npy("features.npy"), npy("table.npy"));                     // [2, T', 6]
            assertArrayEquals(want.shape(), Torch.shape(got), name + " shape");
            double err = Golden.maxAbsDiff(want.data(), Torch.toFloats(got.contiguous()));
            assertTrue(err < 1e-5, name + ": max |Δ| " + err);
            if (c instanceof AudioVocab) {                                                    // its extra LM-head columns [2, 3, 5]
                Npy.Array logits = Golden.npy("fusion", "expected_audio-vocab-logits.npy");
                assertTrue(Golden.maxAbsDiff(logits.data(), Torch.toFloats(c.extraLogits(npy("hidden.npy")).contiguous())) < 1e-5);
            }
            assertEquals(ConnectorSpec.of(section), c.spec(), "the spec it saves reads back as the one it was built from");
        }
    }
}
