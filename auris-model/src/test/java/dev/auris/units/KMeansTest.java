package dev.auris.units;

import dev.auris.core.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * k-means and the codebook against plain Java: nearest centroids by brute force, Lloyd's update as the
 * means of the assigned points (in double), and well-separated synthetic clusters, whose means and
 * labels are known, recovered.
 */
class KMeansTest {
    /** Features [n, d], row-major, with the cluster each row was drawn from. */
    record Data(float[] x, int n, int d, int[] label) {
        Tensor tensor() { return Torch.fromFloats(x, n, d); }

        float[] row(int i) { return Arrays.copyOfRange(x, i * d, (i + 1) * d); }
    }

    /** {@code perCluster} points around each of {@code centres}, σ = {@code spread}, rows shuffled. */
    static Data blobs(double[][] centres, int perCluster, double spread, long seed) {
        Random r = new Random(seed);
        int k = centres.length, d = centres[0].length, n = k * perCluster;
        Integer[] perm = new Integer[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        java.util.Collections.shuffle(Arrays.asList(perm), r);
        float[] x = new float[n * d];
        int[] label = new int[n];
        for (int i = 0; i < n; i++) {
            int row = perm[i], c = i / perCluster;
            label[row] = c;
            for (int j = 0; j < d; j++) x[row * d + j] = (float) (centres[c][j] + spread * r.nextGaussian());
        }
        return new Data(x, n, d, label);
    }

    static final double[][] FAR_APART = {{100, 0, 0}, {-100, 0, 0}, {0, 100, 50}, {0, -100, -50}};

    static double dist2(float[] x, int i, float[] c, int j, int d) {
        double s = 0;
        for (int t = 0; t < d; t++) {
            double diff = (double) x[i * d + t] - c[j * d + t];
            s += diff * diff;
        }
        return s;
    }

    /** The nearest centroid of each row by brute force (the first on exact ties). */
    static int[] nearest(float[] x, int n, float[] c, int k, int d) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) if (dist2(x, i, c, j, d) < dist2(x, i, c, best, d)) best = j;
            out[i] = best;
        }
        return out;
    }

    /** The smallest gap between a row's nearest and second-nearest squared distance. */
    static double smallestMargin(float[] x, int n, float[] c, int k, int d) {
        double margin = Double.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            double[] s = new double[k];
            for (int j = 0; j < k; j++) s[j] = dist2(x, i, c, j, d);
            Arrays.sort(s);
            margin = Math.min(margin, s[1] - s[0]);
        }
        return margin;
    }

    /** One Lloyd iteration: every centroid moves to the mean of the rows nearest to it; null if one has none. */
    static float[] lloyd(float[] x, int n, float[] c, int k, int d) {
        int[] a = nearest(x, n, c, k, d);
        double[] sum = new double[k * d];
        int[] count = new int[k];
        for (int i = 0; i < n; i++) {
            count[a[i]]++;
            for (int t = 0; t < d; t++) sum[a[i] * d + t] += x[i * d + t];
        }
        float[] next = new float[k * d];
        for (int j = 0; j < k; j++) {
            if (count[j] == 0) return null;
            for (int t = 0; t < d; t++) next[j * d + t] = (float) (sum[j * d + t] / count[j]);
        }
        return next;
    }

    static float[] train(Data data, int k, int iterations, long seed) {
        return Torch.toFloats(KMeans.train(data.tensor(), k, iterations, seed).centroids());
    }

    @Test
    void wellSeparatedClustersAreRecovered() {
        try (PointerScope scope = new PointerScope()) {
            Data data = blobs(FAR_APART, 60, 2, 1);
            int k = 4, d = 3;
            for (long seed = 0; seed < 5; seed++) {
                Codebook cb = KMeans.train(data.tensor(), k, 10, seed);
                assertEquals(k, cb.size());
                assertEquals(d, cb.dim());
                float[] c = Torch.toFloats(cb.centroids());
                long[] ids = Torch.toLongs(cb.assign(data.tensor()));
                // one learned centroid per true cluster, at the mean of that cluster's points
                int[] toLearned = new int[k];
                Arrays.fill(toLearned, -1);
                for (int i = 0; i < data.n(); i++) {
                    int truth = data.label()[i];
                    if (toLearned[truth] < 0) toLearned[truth] = (int) ids[i];
                    assertEquals(toLearned[truth], ids[i], "seed " + seed + ": row " + i + " left its cluster");
                }
                assertEquals(k, Arrays.stream(toLearned).distinct().count(), "seed " + seed + ": two clusters share a centroid");
                for (int truth = 0; truth < k; truth++) {
                    double[] mean = new double[d];
                    int count = 0;
                    for (int i = 0; i < data.n(); i++) {
                        if (data.label()[i] != truth) continue;
                        count++;
                        for (int t = 0; t < d; t++) mean[t] += data.x()[i * d + t];
                    }
                    for (int t = 0; t < d; t++) {
                        assertEquals(mean[t] / count, c[toLearned[truth] * d + t], 1e-3);
                        assertEquals(FAR_APART[truth][t], c[toLearned[truth] * d + t], 1.5);
                    }
                }
            }
        }
    }

    @Test
    void kMeansPlusPlusSeedsDataPointsOnePerFarApartCluster() {
        // uniformly drawn seeds would put two of the four in one cluster 91 % of the time
        try (PointerScope scope = new PointerScope()) {
            Data data = blobs(FAR_APART, 50, 0.5, 2);
            for (long seed = 0; seed < 20; seed++) {
                float[] c = train(data, 4, 0, seed);
                boolean[] covered = new boolean[4];
                for (int j = 0; j < 4; j++) {
                    float[] centre = Arrays.copyOfRange(c, j * 3, j * 3 + 3);
                    int row = -1;
                    for (int i = 0; i < data.n() && row < 0; i++) if (Arrays.equals(centre, data.row(i))) row = i;
                    assertTrue(row >= 0, "seed " + seed + ": centre " + j + " is not a data point");
                    assertFalse(covered[data.label()[row]], "seed " + seed + ": two centres in cluster " + data.label()[row]);
                    covered[data.label()[row]] = true;
                }
            }
        }
    }

    @Test
    void eachIterationIsLloydsUpdateComputedInPlainJava() {
        try (PointerScope scope = new PointerScope()) {
            // overlapping blobs, so the centroids keep moving for several iterations
            Data data = blobs(new double[][]{{0, 0, 0, 0}, {2, 1, 0, 0}, {0, 2, 2, 1}}, 100, 1.2, 3);
            int k = 5, d = 4, n = data.n();
            for (long seed = 0; seed < 3; seed++) {
                float[] reference = train(data, k, 0, seed);
                int moved = 0;
                for (int it = 1; it <= 8; it++) {
                    float[] before = train(data, k, it - 1, seed), after = train(data, k, it, seed);
                    double margin = smallestMargin(data.x(), n, before, k, d);
                    assertTrue(margin > 1e-4, "a near tie (" + margin + ") would make float rounding decide a row");
                    float[] want = lloyd(data.x(), n, before, k, d);
                    assertNotNull(want, "an empty cluster would be re-seeded at random, outside this contract");
                    assertArrayEquals(want, after, 1e-4f, "seed " + seed + ", iteration " + it);
                    reference = lloyd(data.x(), n, reference, k, d);       // and Lloyd run on its own from the same seeds
                    assertArrayEquals(reference, after, 1e-3f, "seed " + seed + ", iteration " + it + " from k-means++");
                    if (!Arrays.equals(before, after)) moved++;
                }
                assertTrue(moved >= 3, "the centroids moved in " + moved + " iterations only");
            }
        }
    }

    @Test
    void aSeedFixesTheCodebook() {
        try (PointerScope scope = new PointerScope()) {
            Data data = blobs(new double[][]{{0, 0}, {3, 0}, {0, 3}}, 80, 1.5, 4);
            float[] a = train(data, 6, 5, 11), b = train(data, 6, 5, 11), c = train(data, 6, 5, 12);
            assertArrayEquals(a, b);
            assertFalse(Arrays.equals(a, c), "another seed, other k-means++ seeds");
        }
    }

    @Test
    void anEmptiedClusterIsReseededAtADataPointNotLeftAtZero() {
        // two distinct points, k = 3: k-means++ repeats one as the third centre, which then wins no row
        try (PointerScope scope = new PointerScope()) {
            float[] a = {5, 5}, b = {-3, 7};
            float[] x = new float[20 * 2];
            for (int i = 0; i < 20; i++) System.arraycopy(i % 2 == 0 ? a : b, 0, x, i * 2, 2);
            for (long seed = 0; seed < 5; seed++) {
                float[] c = train(new Data(x, 20, 2, new int[20]), 3, 3, seed);
                boolean hasA = false, hasB = false;
                for (int j = 0; j < 3; j++) {
                    float[] centre = Arrays.copyOfRange(c, j * 2, j * 2 + 2);
                    assertTrue(Arrays.equals(centre, a) || Arrays.equals(centre, b), "seed " + seed + ": centre " + Arrays.toString(centre));
                    hasA |= Arrays.equals(centre, a);
                    hasB |= Arrays.equals(centre, b);
                }
                assertTrue(hasA && hasB);
            }
        }
    }

    @Test
    void tooFewPointsOrNotAMatrixIsRefused() {
        try (PointerScope scope = new PointerScope()) {
            assertThrows(IllegalArgumentException.class, () -> KMeans.train(Torch.fromFloats(new float[6], 3, 2), 4, 1, 0));
            assertThrows(IllegalArgumentException.class, () -> KMeans.train(Torch.fromFloats(new float[6], 6), 2, 1, 0));
        }
    }

    @Test
    void assignIsTheBruteForceNearestCentroid() {
        try (PointerScope scope = new PointerScope()) {
            Random r = new Random(6);
            int k = 16, d = 8, n = 2000;
            float[] c = new float[k * d], x = new float[n * d];
            for (int i = 0; i < c.length; i++) c[i] = (float) (3 * r.nextGaussian());
            for (int i = 0; i < x.length; i++) x[i] = (float) (4 * r.nextGaussian());
            long[] ids = Torch.toLongs(new Codebook(Torch.fromFloats(c, k, d)).assign(Torch.fromFloats(x, n, d)));
            int[] want = nearest(x, n, c, k, d);
            int nearTies = 0;
            for (int i = 0; i < n; i++) {
                double[] s = new double[k];
                for (int j = 0; j < k; j++) s[j] = dist2(x, i, c, j, d);
                double[] sorted = s.clone();
                Arrays.sort(sorted);
                if (sorted[1] - sorted[0] > 1e-3 * sorted[0] + 1e-3) assertEquals(want[i], ids[i], "row " + i);
                else {
                    nearTies++; // float32 rounding may pick either: the pick must still be at the nearest distance
                    assertEquals(sorted[0], s[(int) ids[i]], 1e-2 * sorted[0] + 1e-2, "row " + i);
                }
            }
            assertTrue(nearTies < 20, nearTies + " near ties");
        }
    }

    @Test
    void unitsAreTheNearestCentroidsWithRepeatsMerged() {
        try (PointerScope scope = new PointerScope()) {
            float[] c = {0, 0, 10, 0, 0, 10};
            Codebook cb = new Codebook(Torch.fromFloats(c, 3, 2));
            // frames near centroids 1, 1, 2, 2, 2, 1, 0, 0
            float[] frames = {9, 1, 11, -1, 1, 9, 0, 11, -1, 10, 10, 1, 1, 1, -1, 0};
            assertArrayEquals(new long[]{1, 1, 2, 2, 2, 1, 0, 0}, Torch.toLongs(cb.assign(Torch.fromFloats(frames, 8, 2))));
            assertArrayEquals(new long[]{1, 2, 1, 0}, cb.units(Torch.fromFloats(frames, 8, 2)));
            assertArrayEquals(new long[0], Codebook.dedup(new long[0]));
            assertArrayEquals(new long[]{3, 1, 3}, Codebook.dedup(new long[]{3, 3, 1, 3, 3, 3}));
        }
    }
}
