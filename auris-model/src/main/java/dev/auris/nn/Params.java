package dev.auris.nn;

import dev.auris.core.Torch;
import dev.auris.core.DType;
import dev.auris.io.WeightSource;
import org.bytedeco.pytorch.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The named tensors of a trainable component, created from a {@link WeightSource} (a saved file, or
 * random initialisation for a new model) and owned by the component. Names are what the component's
 * safetensors file holds.
 */
public final class Params {
    private final String prefix;
    private final WeightSource source;
    private final DType dtype;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    public Params(String prefix, WeightSource source, DType dtype) {
        this.prefix = prefix;
        this.source = source;
        this.dtype = dtype;
    }

    /** The tensor {@code prefix + name} of {@code shape}, owned (outside any scope). */
    public Tensor get(String name, long... shape) {
        Tensor t = Torch.own(source.tensor(prefix + name, dtype, shape).contiguous());
        tensors.put(name, t);
        return t;
    }

    /** The tensors created so far, by their names without the prefix. */
    public Map<String, Tensor> all() { return tensors; }
}
