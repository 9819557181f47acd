package dev.auris.io;

import java.util.Optional;

/**
 * ggml's tensor types as GGUF stores them: id, elements per block, bytes per block (ggml.c
 * {@code type_traits}; gguf-py {@code GGML_QUANT_SIZES}). Every known id is listed so a file with a type
 * Auris cannot dequantize is told apart from a corrupt one; {@link #dequantizable()} says which Auris reads.
 */
public enum GgmlType {
    F32(0, 1, 4), F16(1, 1, 2), Q4_0(2, 32, 18), Q4_1(3, 32, 20), Q5_0(6, 32, 22), Q5_1(7, 32, 24),
    Q8_0(8, 32, 34), Q8_1(9, 32, 40), Q2_K(10, 256, 84), Q3_K(11, 256, 110), Q4_K(12, 256, 144),
    Q5_K(13, 256, 176), Q6_K(14, 256, 210), Q8_K(15, 256, 292), IQ2_XXS(16, 256, 66), IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98), IQ1_S(19, 256, 50), IQ4_NL(20, 32, 18), IQ3_S(21, 256, 110), IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136), I8(24, 1, 1), I16(25, 1, 2), I32(26, 1, 4), I64(27, 1, 8), F64(28, 1, 8),
    IQ1_M(29, 256, 56), BF16(30, 1, 2), TQ1_0(34, 256, 54), TQ2_0(35, 256, 66);

    /** GGUF's {@code ggml_type} id. */
    public final int id;
    /** Elements per block (1 for plain types, 32 for Q8_0 / Q4_0, 256 = QK_K for the K-quants). */
    public final int blockSize;
    /** Bytes per block. */
    public final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    public static Optional<GgmlType> ofId(long id) {
        for (GgmlType t : values()) if (t.id == id) return Optional.of(t);
        return Optional.empty();
    }

    /** The types {@link GgmlDequant} turns into float32. */
    public boolean dequantizable() {
        return switch (this) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Bytes of {@code numel} elements (a whole number of blocks; the caller checked divisibility). */
    public long bytes(long numel) {
        return Math.multiplyExact(numel / blockSize, (long) typeSize);
    }
}
