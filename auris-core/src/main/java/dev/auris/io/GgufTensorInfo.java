package dev.auris.io;

import java.util.Arrays;

/**
 * One tensor's entry in a GGUF header. {@code ne} is ggml's order, innermost first ({@code ne[0]} = the
 * row length, a linear layer's in_features); {@link #shape()} is the PyTorch / Hugging Face order.
 * Data lies at [offset, offset + byteSize) of the file's data section.
 */
public record GgufTensorInfo(String name, GgmlType type, long[] ne, long offset, long byteSize) {
    public long numel() {
        long n = 1;
        for (long d : ne) n *= d;
        return n;
    }

    /** The shape outermost first, as PyTorch and safetensors write it: {@code ne} reversed. */
    public long[] shape() {
        long[] s = new long[ne.length];
        for (int i = 0; i < ne.length; i++) s[i] = ne[ne.length - 1 - i];
        return s;
    }

    public String shapeString() { return Arrays.toString(shape()); }
}
