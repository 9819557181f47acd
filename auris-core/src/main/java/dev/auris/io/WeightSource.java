package dev.auris.io;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Where a model's weights come from, by HF tensor name: a {@link Checkpoint}, or {@link #random} weights
 * for benchmarks and tests of a named shape.
 */
public interface WeightSource {
    /** The tensor {@code name} of exactly {@code shape}, as {@code dtype} (in the caller's scope). */
    Tensor tensor(String name, DType dtype, long... shape);

    boolean contains(String name);

    /**
     * Random weights: N(0, std²) for matrices and embeddings, 1 for norm scales, 0 for biases.
     * Seeded through libtorch's global generator.
     */
    static WeightSource random(long seed, double std) {
        torch.manual_seed(seed);
        return new WeightSource() {
            @Override
            public Tensor tensor(String name, DType dtype, long... shape) {
                Tensor t;
                if (name.endsWith(".bias")) t = torch.zeros(shape, Torch.options(DType.F32));
                else if (shape.length == 1) t = torch.ones(shape, Torch.options(DType.F32));
                else t = torch.randn(shape, Torch.options(DType.F32)).mul_(Torch.scalar(std));
                return dtype == DType.F32 ? t : t.to(Torch.scalarType(dtype));
            }

            @Override
            public boolean contains(String name) { return true; }
        };
    }
}
