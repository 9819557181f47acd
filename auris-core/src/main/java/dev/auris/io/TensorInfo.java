package dev.auris.io;

import dev.auris.core.DType;
import java.util.Arrays;

/** One tensor's entry in a safetensors header: data lies at [begin, end) of the data section. */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public long byteSize() { return end - begin; }

    public String shapeString() { return Arrays.toString(shape); }
}
