package dev.auris.io;

/**
 * float32 to ggml's Q8_0 and Q4_0 blocks, as {@code ggml-quants.c quantize_row_q8_0_ref / quantize_row_q4_0_ref}
 * and bit-for-bit as gguf-py's {@code quants.Q8_0 / Q4_0.quantize_blocks} (Q4_0's rounding in float64, as gguf-py
 * does to match the FMA the C reference compiles to).
 */
public final class GgmlQuant {
    private GgmlQuant() {}

    /** {@code x} (length a multiple of the type's block) as {@code type}'s blocks. */
    public static byte[] quantize(GgmlType type, float[] x) {
        if (x.length % type.blockSize != 0) throw new IllegalArgumentException(x.length + " values are not whole " + type + " blocks of " + type.blockSize);
        byte[] out = new byte[(int) type.bytes(x.length)];
        int blocks = x.length / type.blockSize;
        switch (type) {
            case Q8_0 -> { for (int i = 0; i < blocks; i++) q8_0(x, i * 32, out, i * type.typeSize); }
            case Q4_0 -> { for (int i = 0; i < blocks; i++) q4_0(x, i * 32, out, i * type.typeSize); }
            case F32 -> { for (int i = 0; i < x.length; i++) putI32(out, 4 * i, Float.floatToRawIntBits(x[i])); }
            case F16 -> { for (int i = 0; i < x.length; i++) putU16(out, 2 * i, Float.floatToFloat16(x[i])); }
            default -> throw new IllegalArgumentException("Auris writes F32, F16, Q8_0 and Q4_0, not " + type);
        }
        return out;
    }

    /** block_q8_0: d = max|x| / 127, q = roundf(x / d) (half away from zero). */
    static void q8_0(float[] x, int in, byte[] out, int o) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[in + j]));
        float d = amax / 127, id = d != 0 ? 1.0f / d : 0.0f;
        putU16(out, o, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) out[o + 2 + j] = (byte) roundf(x[in + j] * id);
    }

    /** block_q4_0: d = (the value of largest magnitude) / −8, q = min(15, trunc(x / d + 8.5)); element j low nibble, j + 16 high. */
    static void q4_0(float[] x, int in, byte[] out, int o) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[in + j];
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8, id = d != 0 ? 1.0f / d : 0.0f;
        putU16(out, o, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int lo = nibble((double) x[in + j] * id), hi = nibble((double) x[in + j + 16] * id);
            out[o + 2 + j] = (byte) (lo | hi << 4);
        }
    }

    private static int nibble(double scaled) {
        return (int) Math.max(0, Math.min(15, (long) (float) Math.floor(scaled + 8.5)));
    }

    /** C's roundf. */
    static float roundf(float v) {
        float a = Math.abs(v), f = (float) Math.floor(a);
        return Math.copySign(f + (float) Math.floor(2 * (a - f)), v);
    }

    private static void putU16(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >> 8);
    }

    private static void putI32(byte[] b, int o, int v) {
        putU16(b, o, v);
        putU16(b, o + 2, v >> 16);
    }
}
