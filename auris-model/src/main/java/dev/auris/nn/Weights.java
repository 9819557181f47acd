package dev.auris.nn;

import dev.auris.core.Torch;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.lang.foreign.MemorySegment;

/**
 * How a linear layer's matrix W [out, in] is stored and multiplied: {@link Dense} (a libtorch tensor of the
 * model's dtype, through {@code torch.linear}) or {@link Int8} (weight-only int8 with float32 scales per
 * row or per 32-weight block, through the native kernel ({@link NativeKernels}, else {@link Int8Gemv}) for a few
 * rows and a dequantized GEMM for many), {@link Int4} (4-bit in GGUF Q4_0's 32-blocks, through the native kernel),
 * {@link Fbgemm8} (int8 a row through fbgemm's VNNI kernels, activations quantized on the fly) or
 * {@link Fp16} (fp16 packed for fbgemm: half the bytes of f32, float32 math). Which one is fastest where is
 * measured in docs/BENCHMARKS.md.
 *
 * <p>Shapes: x [..., in] → [..., out]; N = out, K = in, G = the scale group.
 */
public sealed interface Weights permits Weights.Dense, Weights.Int8, Weights.Int4, Weights.Fbgemm8, Weights.Fp16 {
    long outFeatures();

    long inFeatures();

    /** x W ᵀ (no bias): [..., K] → [..., N], in x's dtype. */
    Tensor apply(Tensor x);

    /** Bytes of weights one product streams from memory (what decode is bound by). */
    long bytes();

    /** The native tensors this holds (for the owner to keep and close). */
    java.util.List<Tensor> tensors();

    /** An uninitialised float32 [..., n] for the product of x [..., K]: what the native kernels write. */
    private static Tensor floatOutput(Tensor x, long n) {
        long[] shape = Torch.shape(x);
        shape[shape.length - 1] = n;
        return torch.empty(shape, Torch.options(dev.auris.core.DType.F32), new org.bytedeco.pytorch.MemoryFormatOptional());
    }

    /** x Wᵀ of a prefill's many rows: Auris's bf16 GEMM where it is taken ({@link GemmBf16}), else libtorch's. */
    private static Tensor manyRows(Tensor x, Tensor w) {
        return GemmBf16.takes(x, w) ? GemmBf16.linear(x, w, null) : torch.linear(x, w);
    }

    /** The matrix as a libtorch tensor, as {@code torch.linear} takes it. */
    record Dense(Tensor w) implements Weights {
        public long outFeatures() { return w.size(0); }

        public long inFeatures() { return w.size(1); }

        /** bf16 products of a few rows (decode) run the native GEMV ({@link NativeKernels}), of many (a prefill) the native GEMM where it is taken ({@link GemmBf16}); the rest {@code torch.linear}. */
        public Tensor apply(Tensor x) {
            return NativeKernels.takesBf16(x, w) ? NativeKernels.linearBf16(x, w) : manyRows(x, w);
        }

        public long bytes() { return w.nbytes(); }

        public java.util.List<Tensor> tensors() { return java.util.List.of(w); }
    }

    /**
     * q [N, K] int8 and scales [N, K/G] float32, W = q · s per group of G consecutive weights of a row (G = K:
     * one scale a row, "per channel"; G = 32: GGUF's Q8_0 / Q4_0 blocks, loaded as they are). Up to
     * {@link #GEMV_ROWS} rows of x run the native kernel ({@link NativeKernels}), else the Vector API one; more (a prefill) dequantize W to {@code gemm}
     * (bf16 where the CPU has bf16 dot products, else float32) for libtorch's GEMM, whose cost is then
     * compute, not the weight bytes.
     */
    record Int8(Tensor q, Tensor scales, int group, ScalarType gemm) implements Weights {
        /** Rows of x up to which the weights are streamed once per row rather than dequantized. */
        public static final int GEMV_ROWS = 8;

        public Int8 {
            long n = q.size(0), k = q.size(1);
            if (q.scalar_type().intern() != ScalarType.Char || scales.scalar_type().intern() != ScalarType.Float) {
                throw new IllegalArgumentException("int8 weights are q int8 [N, K] and scales float32 [N, K/G]");
            }
            if (!(group == k || group == 32 && k % 32 == 0) || scales.size(0) != n || scales.size(1) != k / group) {
                throw new IllegalArgumentException("int8 weights need one scale a row or one per 32 weights;"
                        + " got [" + n + ", " + k + "] with group " + group + " and scales " + java.util.Arrays.toString(Torch.shape(scales)));
            }
            gemm = gemm.intern();
        }

        /** Symmetric absmax int8 of w [N, K] in groups of {@code group} (K = per row): s = max|w| / 127, q = round(w / s). */
        public static Int8 quantize(Tensor w, int group, ScalarType gemm) {
            long n = w.size(0), k = w.size(1);
            Tensor g = w.to(ScalarType.Float).reshape(n, k / group, group);                   // [N, K/G, G]
            Tensor s = g.abs().amax(new long[]{2}, true).div(Torch.scalar(127));               // [N, K/G, 1]
            s = torch.where(s.eq(Torch.scalar(0)), torch.ones_like(s), s);
            Tensor q = g.div(s).round().clamp(new org.bytedeco.pytorch.ScalarOptional(Torch.scalar(-127)), new org.bytedeco.pytorch.ScalarOptional(Torch.scalar(127))).to(ScalarType.Char).reshape(n, k).contiguous();
            return new Int8(q, s.reshape(n, k / group).contiguous(), group, gemm);
        }

        public long outFeatures() { return q.size(0); }

        public long inFeatures() { return q.size(1); }

        public long bytes() { return q.nbytes() + scales.nbytes(); }

        public java.util.List<Tensor> tensors() { return java.util.List.of(q, scales); }

        /** W = q · s as {@code type} [N, K] (float32 math, then rounded once); to bf16 in one Vector API pass ({@link Int8Dequant}). */
        public Tensor dequantize(ScalarType type) {
            long n = q.size(0), k = q.size(1);
            if (type.intern() == ScalarType.BFloat16 && Int8Gemv.supported()) {
                Tensor w = torch.empty(new long[]{n, k}, Torch.options(dev.auris.core.DType.BF16), new org.bytedeco.pytorch.MemoryFormatOptional()); // [N, K]
                Int8Dequant.toBf16(Int8Dequant.segment(q), Int8Dequant.segment(scales), group, Int8Dequant.segment(w), (int) n, (int) k, torch.get_num_threads());
                return w;
            }
            Tensor w = q.to(ScalarType.Float).view(n, k / group, group).mul(scales.unsqueeze(2)).view(n, k); // [N, K]
            return type.intern() == ScalarType.Float ? w : w.to(type);
        }

        public Tensor apply(Tensor x) {
            long k = q.size(1), n = q.size(0), m = x.numel() / k;
            ScalarType out = x.scalar_type();
            if (m > GEMV_ROWS && gemm.intern() == ScalarType.BFloat16 && Int8Gemv.supported()) {
                return manyRows(x.to(gemm), Int8Dequant.scratch(this)).to(out);               // a prefill: bf16 GEMM on the weights unpacked once
            }
            if (m > GEMV_ROWS || group == k && k % 64 != 0 || !Int8Gemv.supported()) {
                return torch.linear(x.to(gemm), dequantize(gemm)).to(out);
            }
            Tensor xf = x.to(ScalarType.Float).contiguous();
            if (Int8Activations.takes(k)) {                                                   // int8 × int8 dot products (VNNI)
                Tensor y = floatOutput(x, n);                                                 // [..., N]
                Int8Activations.q8(xf, (int) m, this, y);
                return out.intern() == ScalarType.Float ? y : y.to(out);
            }
            if (NativeKernels.available()) {
                Tensor y = floatOutput(x, n);                                                 // [..., N]
                NativeKernels.q8(Int8Dequant.segment(xf), (int) m, Int8Dequant.segment(q), Int8Dequant.segment(scales), group, (int) k,
                        Int8Dequant.segment(y), (int) n, Torch.configuredThreads());
                return out.intern() == ScalarType.Float ? y : y.to(out);
            }
            float[] xa = new float[(int) (m * k)], ya = new float[(int) (m * n)];
            new FloatPointer(xf.data_ptr()).get(xa);
            MemorySegment qs = MemorySegment.ofAddress(q.data_ptr().address()).reinterpret(q.nbytes());
            MemorySegment ss = MemorySegment.ofAddress(scales.data_ptr().address()).reinterpret(scales.nbytes());
            Int8Gemv.multiply(xa, (int) m, qs, ss, group, ya, (int) n, (int) k, torch.get_num_threads());
            long[] shape = Torch.shape(x);
            shape[shape.length - 1] = n;
            Tensor y = Torch.fromFloats(ya, shape);                                           // [..., N]
            return out.intern() == ScalarType.Float ? y : y.to(out);
        }
    }

    /**
     * Weight-only int4 in blocks of 32 weights of a row, as GGUF's Q4_0 stores them: {@code packed} [N, K/2] uint8,
     * byte j of block g holding weight 32g + j in its low nibble and 32g + j + 16 in its high one, each + 8;
     * {@code scales} [N, K/32] float16, as Q4_0's (18 bytes a block: float32 scales made decode stream 11 % more);
     * W = (nibble − 8) · scale. Up to {@link Int8#GEMV_ROWS} rows of x run the
     * native kernel ({@link NativeKernels}: half the bytes of int8 streamed); more are a GEMM on the weights unpacked
     * to {@code gemm} (bf16 in a reused scratch where the CPU has bf16 dot products).
     */
    record Int4(Tensor packed, Tensor scales, ScalarType gemm) implements Weights {
        public Int4 {
            if (packed.scalar_type().intern() != ScalarType.Byte || scales.scalar_type().intern() != ScalarType.Half || packed.dim() != 2
                    || scales.dim() != 2 || scales.size(0) != packed.size(0) || scales.size(1) * 16 != packed.size(1)) {
                throw new IllegalArgumentException("int4 weights are packed uint8 [N, K/2] and scales float16 [N, K/32]; got "
                        + java.util.Arrays.toString(Torch.shape(packed)) + " " + packed.scalar_type() + " and " + java.util.Arrays.toString(Torch.shape(scales))
                        + " " + scales.scalar_type());
            }
            gemm = gemm.intern();
        }

        /**
         * int4 from int8 values in [−8, 7] q [N, K] (K a multiple of 32) and their scales [N, K/32], e.g. a GGUF Q4_0
         * tensor's: stored as float16, so a scale that is not a float16 value (Q4_0's always are) is rounded to one.
         */
        public static Int4 pack(byte[] q, float[] scales, long n, long k, ScalarType gemm) {
            if (k % 32 != 0 || q.length != n * k || scales.length != n * k / 32) {
                throw new IllegalArgumentException("int4 packs [N, K] in 32-blocks: " + q.length + " values, " + scales.length + " scales for [" + n + ", " + k + "]");
            }
            byte[] p = new byte[q.length / 2];
            for (int b = 0; b < q.length / 32; b++) {
                for (int j = 0; j < 16; j++) {
                    int lo = q[32 * b + j] + 8, hi = q[32 * b + j + 16] + 8;
                    if ((lo | hi) >>> 4 != 0) throw new IllegalArgumentException("int4 values must lie in [-8, 7]; block " + b + " has " + (lo - 8) + ", " + (hi - 8));
                    p[16 * b + j] = (byte) (lo | hi << 4);
                }
            }
            java.nio.ByteBuffer halves = java.nio.ByteBuffer.allocate(2 * scales.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (float d : scales) halves.putShort(Float.floatToFloat16(d));
            return new Int4(Torch.fromBytes(java.nio.ByteBuffer.wrap(p), dev.auris.core.DType.U8, n, k / 2),
                    Torch.fromBytes(halves.flip(), dev.auris.core.DType.F16, n, k / 32), gemm);
        }

        /** w [N, K] (K a multiple of 32) quantized as llama.cpp's Q4_0 does (d = the largest-magnitude value / −8). */
        public static Int4 quantize(Tensor w, ScalarType gemm) {
            long n = w.size(0), k = w.size(1);
            float[] f = Torch.toFloats(w.to(ScalarType.Float).contiguous());
            byte[] blocks = dev.auris.io.GgmlQuant.quantize(dev.auris.io.GgmlType.Q4_0, f);    // 18 bytes a block: f16 d, 16 nibble bytes
            byte[] q = new byte[f.length];
            float[] d = new float[f.length / 32];
            for (int b = 0; b < d.length; b++) {
                int o = 18 * b;
                d[b] = Float.float16ToFloat((short) ((blocks[o] & 0xFF) | (blocks[o + 1] & 0xFF) << 8));
                for (int j = 0; j < 16; j++) {
                    q[32 * b + j] = (byte) ((blocks[o + 2 + j] & 0x0F) - 8);
                    q[32 * b + j + 16] = (byte) (((blocks[o + 2 + j] & 0xFF) >> 4) - 8);
                }
            }
            return pack(q, d, n, k, gemm);
        }

        public long outFeatures() { return packed.size(0); }

        public long inFeatures() { return packed.size(1) * 2; }

        public long bytes() { return packed.nbytes() + scales.nbytes(); }

        public java.util.List<Tensor> tensors() { return java.util.List.of(packed, scales); }

        /** W [N, K] as {@code type} (bf16 or float32), a new tensor. */
        public Tensor dequantize(ScalarType type) {
            long n = outFeatures(), k = inFeatures();
            boolean bf16 = type.intern() == ScalarType.BFloat16;
            Tensor w = torch.empty(new long[]{n, k}, Torch.options(bf16 ? dev.auris.core.DType.BF16 : dev.auris.core.DType.F32), new org.bytedeco.pytorch.MemoryFormatOptional());
            NativeKernels.dequantQ4(Int8Dequant.segment(packed), Int8Dequant.segment(scales), (int) k, Int8Dequant.segment(w), (int) n, bf16, Torch.configuredThreads());
            return bf16 || type.intern() == ScalarType.Float ? w : w.to(type);
        }

        public Tensor apply(Tensor x) {
            long k = inFeatures(), n = outFeatures(), m = x.numel() / k;
            ScalarType out = x.scalar_type();
            if (m > Int8.GEMV_ROWS) {
                if (gemm == ScalarType.BFloat16) {                                            // a prefill: unpacked into the reused scratch
                    Tensor w = Int8Dequant.scratch(n, k);                                     // [N, K]
                    NativeKernels.dequantQ4(Int8Dequant.segment(packed), Int8Dequant.segment(scales), (int) k, Int8Dequant.segment(w), (int) n, true, Torch.configuredThreads());
                    return manyRows(x.to(gemm), w).to(out);
                }
                return torch.linear(x.to(gemm), dequantize(gemm)).to(out);
            }
            Tensor xf = x.to(ScalarType.Float).contiguous();                                  // [..., K]
            Tensor y = floatOutput(x, n);                                                     // [..., N]
            if (Int8Activations.takes(k)) {                                                   // int4 × int8 dot products (VNNI)
                Int8Activations.q4(xf, (int) m, packed, scales, (int) n, (int) k, y);
                return out.intern() == ScalarType.Float ? y : y.to(out);
            }
            NativeKernels.q4(Int8Dequant.segment(xf), (int) m, Int8Dequant.segment(packed), Int8Dequant.segment(scales), (int) k, Int8Dequant.segment(y), (int) n,
                    Torch.configuredThreads());
            return out.intern() == ScalarType.Float ? y : y.to(out);
        }
    }

    /**
     * Weight-only int8 with one scale a row, run by fbgemm ({@code fbgemm_linear_int8_weight_fp32_activation}:
     * VNNI int8 dot products; the activations are quantized per tensor to uint8 on every call, so the result
     * differs from float math on the dequantized weights by that rounding too). fbgemm's own quantizer is per
     * tensor; here each row is quantized with its own scale, handed to fbgemm with scale 1, and the output
     * columns multiplied by the row scales. {@code q} is kept only for its shape: fbgemm reads {@code packed}.
     */
    record Fbgemm8(Tensor q, Tensor packed, Tensor colOffsets, Tensor scales, Tensor zeroBias) implements Weights {
        /** w [N, K] (any float dtype) → int8 rows, packed for fbgemm. */
        public static Fbgemm8 quantize(Tensor w) {
            long n = w.size(0), k = w.size(1);
            Int8 rows = Int8.quantize(w, (int) k, ScalarType.Float);
            Tensor q = rows.q();                                                              // [N, K] int8
            Tensor colOffsets = q.to(ScalarType.Int).sum(new long[]{1}, false, new org.bytedeco.pytorch.ScalarTypeOptional(ScalarType.Int)).contiguous(); // [N]: Σ_k q (zero point 0)
            Tensor packed = torch.fbgemm_pack_quantized_matrix(q);
            Tensor view = torch.zeros(new long[]{1, 1}, new org.bytedeco.pytorch.TensorOptions(ScalarType.Char)).expand(n, k); // the shape, no bytes
            return new Fbgemm8(view, packed, colOffsets, rows.scales().reshape(n).contiguous(), torch.zeros(n));
        }

        public long outFeatures() { return q.size(0); }

        public long inFeatures() { return q.size(1); }

        public long bytes() { return q.size(0) * q.size(1) + scales.nbytes(); }

        public java.util.List<Tensor> tensors() { return java.util.List.of(q, packed, colOffsets, scales, zeroBias); }

        public Tensor apply(Tensor x) {
            ScalarType out = x.scalar_type();
            Tensor in = x.dim() == 1 ? x.unsqueeze(0) : x;                                   // fbgemm takes [..., K] with a row dimension
            Tensor y = torch.fbgemm_linear_int8_weight_fp32_activation(in.to(ScalarType.Float).contiguous(), q, packed, colOffsets,
                    new org.bytedeco.pytorch.Scalar(1.0), new org.bytedeco.pytorch.Scalar(0L), zeroBias).mul_(scales); // [..., N]
            if (x.dim() == 1) y = y.squeeze(0);
            return out.intern() == ScalarType.Float ? y : y.to(out);
        }
    }

    /** fp16 weights packed for fbgemm ({@code fbgemm_linear_fp16_weight_fp32_activation}): half-width bytes, float32 math. */
    record Fp16(Tensor packed, long outFeatures, long inFeatures) implements Weights {
        public static Fp16 pack(Tensor w) {
            return new Fp16(torch.fbgemm_pack_gemm_matrix_fp16(w.to(ScalarType.Float).contiguous()), w.size(0), w.size(1));
        }

        public long bytes() { return 2 * outFeatures * inFeatures; }

        public java.util.List<Tensor> tensors() { return java.util.List.of(packed); }

        public Tensor apply(Tensor x) {
            ScalarType out = x.scalar_type();
            Tensor in = x.dim() == 1 ? x.unsqueeze(0) : x;
            Tensor y = torch.fbgemm_linear_fp16_weight_fp32_activation(in.to(ScalarType.Float).contiguous(), packed, new org.bytedeco.pytorch.TensorOptional());
            if (x.dim() == 1) y = y.squeeze(0);
            return out.intern() == ScalarType.Float ? y : y.to(out);
        }
    }
}
