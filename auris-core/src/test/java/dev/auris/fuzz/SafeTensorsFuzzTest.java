package dev.auris.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.auris.core.DType;
import dev.auris.io.Checkpoint;
import dev.auris.io.TensorInfo;
import org.bytedeco.javacpp.PointerScope;

import java.nio.file.Path;
import java.util.List;

/**
 * safetensors files of arbitrary bytes — header length, JSON header, dtypes, shapes, data_offsets — read
 * through {@link Checkpoint} as a model loads them, every small float tensor handed on to libtorch: a
 * tensor of the declared shape or a {@code CheckpointException}, never a read outside the file.
 * Seeds: the fusion goldens and hand-made hostile headers ({@code SafeTensorsFuzzTestInputs/}).
 */
class SafeTensorsFuzzTest {
    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void safetensors(byte[] bytes) {
        Path file = Refusals.file("model.safetensors", bytes);
        Refusals.refuseCleanly(() -> {
            try (Checkpoint c = Checkpoint.of(file.getParent(), List.of(file)); PointerScope scope = new PointerScope()) {
                for (String name : c.names()) {
                    TensorInfo t = c.info(name);
                    if (t.byteSize() != t.numel() * t.dtype().bytes()) throw new AssertionError(name + ": byte size disagrees with its shape");
                    if (t.dtype().isFloatingPoint() && t.numel() <= 4096) {
                        var tensor = c.tensor(name, DType.F32, t.shape());
                        if (tensor.numel() != t.numel()) throw new AssertionError(name + ": libtorch tensor of the wrong size");
                    }
                }
            }
        });
    }
}
