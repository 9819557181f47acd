package dev.auris.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ggml's block formats to float32, in Java, exactly as {@code ggml/src/ggml-quants.c} defines them
 * ({@code dequantize_row_q8_0 / q4_0 / q4_1 / q5_0 / q5_1 / q4_K / q5_K / q6_K}; block structs in {@code ggml-common.h}). Scales are
 * IEEE half ({@code ggml_fp16_t}); products are formed in the reference's order so the result is
 * bit-for-bit gguf-py's {@code quants.dequantize}.
 */
public final class GgmlDequant {
    static final int QK_K = 256;

    private GgmlDequant() {}

    /** {@code n} elements of {@code type} from {@code src} (a whole number of blocks). */
    public static float[] toFloats(GgmlType type, MemorySegment src, int n) {
        if (!type.dequantizable()) throw new IllegalArgumentException("cannot dequantize " + type);
        if (n % type.blockSize != 0 || src.byteSize() != type.bytes(n)) {
            throw new IllegalArgumentException(n + " elements of " + type + " need " + type.bytes(n) + " bytes, got " + src.byteSize());
        }
        byte[] b = src.toArray(ValueLayout.JAVA_BYTE);
        float[] y = new float[n];
        int blocks = n / type.blockSize, per = Math.max(1, CHUNK / type.blockSize);
        // independent runs of blocks, in parallel (each writes only its own range of y)
        java.util.stream.IntStream.range(0, (blocks + per - 1) / per).parallel().forEach(c -> {
            for (int i = c * per, end = Math.min(blocks, i + per); i < end; i++) block(type, b, i, y);
        });
        return y;
    }

    /** Elements per parallel task. */
    static final int CHUNK = 1 << 16;

    /** Block {@code i} of {@code type} into y. */
    private static void block(GgmlType type, byte[] b, int i, float[] y) {
        switch (type) {
            case F32 -> y[i] = Float.intBitsToFloat(i32(b, 4 * i));
            case F16 -> y[i] = f16(b, 2 * i);
            case BF16 -> y[i] = Float.intBitsToFloat(u16(b, 2 * i) << 16);
            case Q8_0 -> q8_0(b, i * type.typeSize, y, i * 32);
            case Q4_0 -> q4_0(b, i * type.typeSize, y, i * 32);
            case Q4_1 -> q4_1(b, i * type.typeSize, y, i * 32);
            case Q5_0 -> q5(b, i * type.typeSize, false, y, i * 32);
            case Q5_1 -> q5(b, i * type.typeSize, true, y, i * 32);
            case Q5_K -> q5_K(b, i * type.typeSize, y, i * QK_K);
            case Q4_K -> q4_K(b, i * type.typeSize, y, i * QK_K);
            case Q6_K -> q6_K(b, i * type.typeSize, y, i * QK_K);
            default -> throw new IllegalArgumentException("cannot dequantize " + type);
        }
    }

    /** block_q8_0 {half d; int8 qs[32]}: y = qs·d. */
    static void q8_0(byte[] b, int o, float[] y, int out) {
        float d = f16(b, o);
        for (int j = 0; j < 32; j++) y[out + j] = b[o + 2 + j] * d;
    }

    /** block_q4_0 {half d; uint8 qs[16]}: low nibbles are elements 0..15, high nibbles 16..31, each minus 8. */
    static void q4_0(byte[] b, int o, float[] y, int out) {
        float d = f16(b, o);
        for (int j = 0; j < 16; j++) {
            int q = b[o + 2 + j] & 0xFF;
            y[out + j] = ((q & 0x0F) - 8) * d;
            y[out + j + 16] = ((q >> 4) - 8) * d;
        }
    }

    /** block_q4_1 {half d; half m; uint8 qs[16]}: y = q·d + m, nibbles as Q4_0 without the offset. */
    static void q4_1(byte[] b, int o, float[] y, int out) {
        float d = f16(b, o), m = f16(b, o + 2);
        for (int j = 0; j < 16; j++) {
            int q = b[o + 4 + j] & 0xFF;
            y[out + j] = (q & 0x0F) * d + m;
            y[out + j + 16] = (q >> 4) * d + m;
        }
    }

    /**
     * block_q5_0 {half d; uint8 qh[4]; uint8 qs[16]}: y = (q − 16)·d; block_q5_1 {half d; half m; uint8 qh[4];
     * uint8 qs[16]}: y = q·d + m. Bit j of the little-endian uint32 qh is element j's fifth bit.
     */
    static void q5(byte[] b, int o, boolean withMin, float[] y, int out) {
        float d = f16(b, o), m = withMin ? f16(b, o + 2) : 0;
        int h = withMin ? o + 4 : o + 2, qs = h + 4;
        int qh = i32(b, h);
        for (int j = 0; j < 16; j++) {
            int q = b[qs + j] & 0xFF;
            int x0 = (q & 0x0F) | (((qh >>> j) << 4) & 0x10), x1 = (q >> 4) | ((qh >>> (j + 12)) & 0x10);
            if (withMin) {
                y[out + j] = x0 * d + m;
                y[out + j + 16] = x1 * d + m;
            } else {
                y[out + j] = (x0 - 16) * d;
                y[out + j + 16] = (x1 - 16) * d;
            }
        }
    }

    /**
     * block_q5_K {half d; half dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]}: as Q4_K with a fifth bit per
     * element from qh (bit 2s / 2s+1 for the s-th pair of sub-blocks).
     */
    static void q5_K(byte[] b, int o, float[] y, int out) {
        float d = f16(b, o), min = f16(b, o + 2);
        int scales = o + 4, qh = o + 16, ql = o + 48;
        int u1 = 1, u2 = 2;
        for (int j = 0, is = 0; j < QK_K; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
            float d1 = d * scale4K(b, scales, is), m1 = min * min4K(b, scales, is);
            float d2 = d * scale4K(b, scales, is + 1), m2 = min * min4K(b, scales, is + 1);
            for (int l = 0; l < 32; l++) y[out++] = d1 * ((b[ql + l] & 0x0F) + ((b[qh + l] & u1) != 0 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++) y[out++] = d2 * (((b[ql + l] & 0xFF) >> 4) + ((b[qh + l] & u2) != 0 ? 16 : 0)) - m2;
        }
    }

    /**
     * block_q4_K {half d; half dmin; uint8 scales[12]; uint8 qs[128]}: 8 sub-blocks of 32 with 6-bit
     * scales and mins ({@code get_scale_min_k4}); y = d·sc·q − dmin·m.
     */
    static void q4_K(byte[] b, int o, float[] y, int out) {
        float d = f16(b, o), min = f16(b, o + 2);
        int scales = o + 4, q = o + 16;
        for (int j = 0, is = 0; j < QK_K; j += 64, is += 2, q += 32) {
            float d1 = d * scale4K(b, scales, is), m1 = min * min4K(b, scales, is);
            float d2 = d * scale4K(b, scales, is + 1), m2 = min * min4K(b, scales, is + 1);
            for (int l = 0; l < 32; l++) y[out++] = d1 * (b[q + l] & 0x0F) - m1;
            for (int l = 0; l < 32; l++) y[out++] = d2 * ((b[q + l] & 0xFF) >> 4) - m2;
        }
    }

    private static int scale4K(byte[] b, int s, int j) {
        return j < 4 ? b[s + j] & 63 : (b[s + j + 4] & 0x0F) | (((b[s + j - 4] & 0xFF) >> 6) << 4);
    }

    private static int min4K(byte[] b, int s, int j) {
        return j < 4 ? b[s + j + 4] & 63 : ((b[s + j + 4] & 0xFF) >> 4) | (((b[s + j] & 0xFF) >> 6) << 4);
    }

    /**
     * block_q6_K {uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d}: 6-bit values (4 low bits in ql,
     * 2 high in qh) minus 32, 16 sub-blocks of 16 with int8 scales; y = d·sc·q.
     */
    static void q6_K(byte[] b, int o, float[] y, int out) {
        float d = f16(b, o + 208);
        int ql = o, qh = o + 128, sc = o + 192;
        for (int n = 0; n < QK_K; n += 128, ql += 64, qh += 32, sc += 8, out += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = b[qh + l] & 0xFF, lo = b[ql + l] & 0xFF, hi = b[ql + l + 32] & 0xFF;
                int q1 = ((lo & 0x0F) | ((h & 3) << 4)) - 32;
                int q2 = ((hi & 0x0F) | (((h >> 2) & 3) << 4)) - 32;
                int q3 = ((lo >> 4) | (((h >> 4) & 3) << 4)) - 32;
                int q4 = ((hi >> 4) | (((h >> 6) & 3) << 4)) - 32;
                y[out + l] = d * b[sc + is] * q1;
                y[out + l + 32] = d * b[sc + is + 2] * q2;
                y[out + l + 64] = d * b[sc + is + 4] * q3;
                y[out + l + 96] = d * b[sc + is + 6] * q4;
            }
        }
    }

    static float f16(byte[] b, int o) { return Float.float16ToFloat((short) u16(b, o)); }

    private static int u16(byte[] b, int o) { return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8; }

    private static int i32(byte[] b, int o) { return u16(b, o) | u16(b, o + 2) << 16; }
}
