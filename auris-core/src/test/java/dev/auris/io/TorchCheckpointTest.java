package dev.auris.io;

import dev.auris.core.DType;
import dev.auris.core.Home;
import dev.auris.core.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * openai-whisper's checkpoint layout (testdata/golden/released/models/speech_encoder, written by
 * ../speech/torchsave.py): float16 storages under "model_state_dict", the "dims" ints as metadata; read whole and
 * in small slices (the path files over 2 GB take) to the same tensors.
 */
class TorchCheckpointTest {
    static final Path PT = Home.resolve("testdata/golden/released/models/speech_encoder/large-v3.pt");

    @Test
    void slicedReadEqualsWholeRead() {
        try (TorchCheckpoint whole = TorchCheckpoint.open(PT, "model_state_dict");
             TorchCheckpoint sliced = TorchCheckpoint.open(PT, "model_state_dict", 4096);
             PointerScope scope = new PointerScope()) {
            assertEquals(128L, whole.metadata().get("dims.n_mels"));
            assertEquals(whole.metadata(), sliced.metadata());
            assertEquals(whole.names(), sliced.names());
            for (String n : whole.names()) {
                long[] shape = whole.shape(n);
                assertArrayEquals(Torch.toFloats(whole.tensor(n, DType.F32, shape)), Torch.toFloats(sliced.tensor(n, DType.F32, shape)), n);
            }
            float[] pos = Torch.toFloats(whole.tensor("encoder.positional_embedding", DType.F32, 1500, 32));
            assertEquals(Math.sin(1.0), pos[32], 1e-3, "sinusoids(1500, 32)[1, 0] in float16");
        }
    }

    @Test
    void anOrderedDictStateDictIsNamedWithItsConversion() {
        Path f = PT.resolveSibling("large-v3-state_dict.pt");
        String m = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(f, "model_state_dict").close()).getMessage();
        assertTrue(m.contains("OrderedDict") && m.contains("torch.save"), m);
    }
}
