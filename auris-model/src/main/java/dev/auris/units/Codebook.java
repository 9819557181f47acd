package dev.auris.units;

import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;

/**
 * K centroids [K, D] over encoder features: audio → discrete units (nearest centroid), with consecutive
 * duplicates merged (HuBERT-unit style). Serves the TokenMapper and AudioVocab connectors and the speech
 * decoder's targets.
 */
public record Codebook(Tensor centroids) {
    public int size() { return (int) centroids.size(0); }

    public int dim() { return (int) centroids.size(1); }

    /** Nearest-centroid ids [N] (int64) for x [N, D]. */
    public Tensor assign(Tensor x) {
        Tensor c = centroids.to(torch.ScalarType.Float);
        Tensor xf = x.to(torch.ScalarType.Float);
        Tensor d = xf.pow(Torch.scalar(2)).sum(new long[]{1}, true, new org.bytedeco.pytorch.ScalarTypeOptional())
                .sub(torch.matmul(xf, c.t()).mul(Torch.scalar(2)))
                .add(c.pow(Torch.scalar(2)).sum(new long[]{1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()).unsqueeze(0)); // [N, K]
        return torch.argmin(d, new org.bytedeco.pytorch.LongOptional(1), false);
    }

    /** Units of one clip's features [T, D], consecutive duplicates merged. */
    public long[] units(Tensor features) {
        return dedup(Torch.toLongs(assign(features)));
    }

    public static long[] dedup(long[] ids) {
        List<Long> out = new ArrayList<>();
        for (long id : ids) if (out.isEmpty() || out.getLast() != id) out.add(id);
        return out.stream().mapToLong(Long::longValue).toArray();
    }
}
