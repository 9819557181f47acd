package dev.auris.io;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;

import java.util.Arrays;

/**
 * A GGUF file's tensors by Hugging Face name ({@link GgufNames}), dequantized to float32 and converted
 * to the asked dtype. llama.cpp's {@code convert_hf_to_gguf.py} ({@code LlamaModel.permute}) reorders the
 * rows of every head of q_proj / k_proj from HF's {@code rotate_half} halves to interleaved RoPE pairs:
 * {@code w.reshape(n_head, 2, hd/2, in).swapaxes(1, 2)}; this source undoes it, so the HF forward runs
 * unchanged. Head counts come from {@code {arch}.attention.head_count(_kv)}.
 *
 * <p>The caller keeps the {@link Gguf} open while reading and closes it.
 */
public final class GgufWeights implements WeightSource {
    private final Gguf gguf;
    private final String arch;
    private final int heads, kvHeads;

    public GgufWeights(Gguf gguf) {
        this.gguf = gguf;
        this.arch = gguf.architecture();
        this.heads = (int) gguf.integer(arch + ".attention.head_count").orElse(0);
        this.kvHeads = (int) gguf.integer(arch + ".attention.head_count_kv").orElse(heads);
    }

    public Gguf gguf() { return gguf; }

    /** llama.cpp's name of an HF tensor name, or a CheckpointException naming both. */
    private String ggufName(String hf) {
        return GgufNames.toGguf(hf).orElseThrow(() -> new CheckpointException(gguf.file().toString(), hf,
                "has no llama.cpp counterpart", "Auris maps Llama-family decoder tensors (token_embd, blk.N.attn_*/ffn_*, output_norm, output)"));
    }

    @Override
    public boolean contains(String name) {
        return GgufNames.toGguf(name).map(gguf::contains).orElse(false);
    }

    /** The HF tensor {@code name} as float32, rows un-permuted where the converter permuted them: [shape] row-major. */
    public float[] floats(String name, long... shape) {
        String g = ggufName(name);
        GgufTensorInfo info = gguf.info(g);
        if (!Arrays.equals(info.shape(), shape)) {
            throw new CheckpointException(gguf.file().toString(), g + "' ('" + name, "has shape " + info.shapeString() + " but the model's metadata implies "
                    + Arrays.toString(shape), "the GGUF's metadata and tensors disagree; convert the model again");
        }
        float[] x = gguf.floats(g);
        if (!GgufNames.isRopePermuted(arch, name)) return x;
        int n = name.contains("k_proj") ? kvHeads : heads;
        return unpermute(x, n, (int) shape[0], x.length / (int) shape[0]);
    }

    /** int8 values [rows · cols] and one scale per 32 of them [rows · cols / 32], as a Q8_0 / Q4_0 tensor stores them. */
    public record Int8Blocks(byte[] q, float[] scales) {}

    /** Whether the HF tensor {@code name} is stored in Q8_0 or Q4_0 blocks (which load exactly as int8 with a scale per 32). */
    public boolean isInt8Blocks(String name) {
        return GgufNames.toGguf(name).filter(gguf::contains).map(g -> gguf.info(g).type())
                .map(t -> t == GgmlType.Q8_0 || t == GgmlType.Q4_0).orElse(false);
    }

    /** Whether the HF tensor {@code name} is stored in Q4_0 blocks (4 bits a weight). */
    public boolean isQ4Blocks(String name) {
        return GgufNames.toGguf(name).filter(gguf::contains).map(g -> gguf.info(g).type() == GgmlType.Q4_0).orElse(false);
    }

    /**
     * The Q8_0 / Q4_0 tensor {@code name} [rows, cols] as int8 and its block scales, rows un-permuted as {@link #floats}:
     * q·d is exactly what dequantizing gives (Q4_0's nibbles minus 8 are int8 values in [-8, 7]).
     */
    public Int8Blocks int8Blocks(String name, long rows, long cols) {
        String g = ggufName(name);
        GgufTensorInfo info = gguf.info(g);
        if (!isInt8Blocks(name) || !Arrays.equals(info.shape(), new long[]{rows, cols}) || (long) rows * cols > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(gguf.file().toString(), g, "is " + info.type() + " " + info.shapeString() + ", not Q8_0 / Q4_0 [" + rows + ", " + cols + "]", "");
        }
        int n = (int) (rows * cols), blocks = n / 32;
        byte[] raw = gguf.data(g).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        byte[] q = new byte[n];
        float[] d = new float[blocks];
        boolean q8 = info.type() == GgmlType.Q8_0;
        int size = info.type().typeSize;
        for (int b = 0; b < blocks; b++) {
            int o = b * size;
            d[b] = Float.float16ToFloat((short) ((raw[o] & 0xFF) | (raw[o + 1] & 0xFF) << 8));
            for (int j = 0; j < (q8 ? 32 : 16); j++) {
                if (q8) {
                    q[b * 32 + j] = raw[o + 2 + j];
                } else {                                 // low nibbles are elements 0..15, high 16..31, each minus 8
                    int v = raw[o + 2 + j] & 0xFF;
                    q[b * 32 + j] = (byte) ((v & 0x0F) - 8);
                    q[b * 32 + j + 16] = (byte) ((v >> 4) - 8);
                }
            }
        }
        if (!GgufNames.isRopePermuted(arch, name)) return new Int8Blocks(q, d);
        int heads = name.contains("k_proj") ? kvHeads : this.heads;
        return new Int8Blocks(unpermuteRows(q, heads, (int) rows, (int) cols), unpermuteRows(d, heads, (int) rows, (int) cols / 32));
    }

    private static byte[] unpermuteRows(byte[] x, int nHead, int rows, int cols) {
        int hd = rows / nHead, half = hd / 2;
        byte[] y = new byte[x.length];
        for (int h = 0; h < nHead; h++) for (int i = 0; i < half; i++) for (int j = 0; j < 2; j++) {
            System.arraycopy(x, (h * hd + 2 * i + j) * cols, y, (h * hd + j * half + i) * cols, cols);
        }
        return y;
    }

    private static float[] unpermuteRows(float[] x, int nHead, int rows, int cols) {
        return unpermute(x, nHead, rows, cols);
    }

    /**
     * Undoes {@code LlamaModel.permute}: within each of {@code nHead} heads of {@code hd} rows, GGUF row
     * {@code 2i + j} is HF row {@code j·hd/2 + i} (i < hd/2, j ∈ {0, 1}). x is [rows, cols].
     */
    static float[] unpermute(float[] x, int nHead, int rows, int cols) {
        if (nHead <= 0 || rows % nHead != 0 || (rows / nHead) % 2 != 0) {
            throw new CheckpointException("GGUF: " + rows + " q/k rows do not split into " + nHead + " heads of even size (metadata attention.head_count)");
        }
        int hd = rows / nHead, half = hd / 2;
        float[] y = new float[x.length];
        for (int h = 0; h < nHead; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(x, (h * hd + 2 * i + j) * cols, y, (h * hd + j * half + i) * cols, cols);
                }
            }
        }
        return y;
    }

    /** The inverse of {@link #unpermute}: HF rows to llama.cpp's interleaved order (for writing GGUF). */
    public static float[] permute(float[] x, int nHead, int rows, int cols) {
        int hd = rows / nHead, half = hd / 2;
        float[] y = new float[x.length];
        for (int h = 0; h < nHead; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(x, (h * hd + j * half + i) * cols, y, (h * hd + 2 * i + j) * cols, cols);
                }
            }
        }
        return y;
    }

    @Override
    public Tensor tensor(String name, DType dtype, long... shape) {
        Tensor t = Torch.fromFloats(floats(name, shape), shape);
        return dtype == DType.F32 ? t : t.to(Torch.scalarType(dtype));
    }
}
