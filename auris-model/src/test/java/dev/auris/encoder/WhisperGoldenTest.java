package dev.auris.encoder;

import dev.auris.core.Torch;
import dev.auris.core.DType;
import dev.auris.io.Npy;
import dev.auris.testing.Golden;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Numeric contract: HF Whisper encoder (numpy float64 port, cross-checked with whisper.cpp exact-GELU
 * f32 to 7e-7). f32 within 1e-4 (tanh-GELU would move it by 2.6e-4); bf16 within 0.15 (|x| ≤ 3.6).
 */
class WhisperGoldenTest {
    @ParameterizedTest
    @CsvSource({"F32,1e-4", "BF16,0.15"})
    void everyLayerAndLastHiddenState(DType dtype, double tol) {
        String g = "whisper-tiny-random";
        Npy.Array mel = Golden.npy(g, "input_mel.npy");
        try (var scope = new PointerScope(); WhisperEncoder enc = WhisperEncoder.load(Golden.dir(g), dtype)) {
            var out = enc.encode(Torch.fromFloats(mel.data(), mel.shape()), true);
            assertArrayEquals(new long[]{1, 1500, 64}, Torch.shape(out.lastHidden()));
            assertEquals(0, Golden.maxAbsDiff(Golden.npy(g, "expected_last_hidden_state.npy").data(), Torch.toFloats(out.lastHidden())), tol);
            Npy.Array layers = Golden.npy(g, "expected_layer_outputs.npy");
            int per = 1500 * 64;
            assertEquals(3, out.layers().size());
            for (int i = 0; i < 3; i++) {
                assertEquals(0, Golden.maxAbsDiff(Golden.rows(layers.data(), per, i, 1), Torch.toFloats(out.layers().get(i))), tol, "layer " + i);
            }
        }
    }
}
