package dev.auris.units;

import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.SplittableRandom;

/**
 * Lloyd's k-means with k-means++ seeding (Arthur &amp; Vassilvitskii 2007) on features [N, D], in libtorch.
 * An emptied cluster is re-seeded at the point farthest from its centroid.
 */
public final class KMeans {
    private KMeans() {}

    public static Codebook train(Tensor x, int k, int iterations, long seed) {
        long n = x.size(0);
        if (x.dim() != 2) throw new IllegalArgumentException("k-means needs features [N, D]");
        if (n < k) throw new IllegalArgumentException("k-means: " + n + " feature vectors are fewer than k=" + k + ": use more audio or a smaller codebook");
        Tensor data = x.to(torch.ScalarType.Float).contiguous();
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor centroids = Torch.scoped(() -> {
            // k-means++: each next centre drawn with probability ∝ squared distance to the nearest chosen one
            float[] flat = Torch.toFloats(data);
            int d = (int) data.size(1);
            float[] centres = new float[k * d];
            int first = rnd.nextInt((int) n);
            System.arraycopy(flat, first * d, centres, 0, d);
            double[] best = new double[(int) n];
            java.util.Arrays.fill(best, Double.MAX_VALUE);
            for (int c = 1; c <= k; c++) {
                double total = 0;
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int j = 0; j < d; j++) {
                        double diff = flat[i * d + j] - centres[(c - 1) * d + j];
                        s += diff * diff;
                    }
                    best[i] = Math.min(best[i], s);
                    total += best[i];
                }
                if (c == k) break;
                double u = rnd.nextDouble() * total, cum = 0;
                int pick = (int) n - 1;
                for (int i = 0; i < n; i++) {
                    cum += best[i];
                    if (u < cum) {
                        pick = i;
                        break;
                    }
                }
                System.arraycopy(flat, pick * d, centres, c * d, d);
            }
            Tensor c = Torch.fromFloats(centres, k, d);
            for (int it = 0; it < iterations; it++) {
                Tensor ids = new Codebook(c).assign(data);                                   // [N]
                Tensor sums = torch.zeros(new long[]{k, d}, Torch.options(dev.auris.core.DType.F32)).index_add(0, ids, data);
                Tensor counts = torch.bincount(ids, new org.bytedeco.pytorch.TensorOptional(), k).to(torch.ScalarType.Float);
                long[] cnt = Torch.toLongs(counts);
                Tensor next = sums.div(counts.clamp_min(Torch.scalar(1)).unsqueeze(1));
                for (int j = 0; j < k; j++) {
                    if (cnt[j] == 0) { // re-seed an empty cluster at a random point
                        next.select(0, j).copy_(data.select(0, rnd.nextInt((int) n)));
                    }
                }
                c = next;
            }
            return c;
        });
        return new Codebook(Torch.own(centroids));
    }
}
