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
