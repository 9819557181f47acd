package dev.auris.train.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic mixture sampling with length bucketing. Micro-batch m of step s is a pure function of
 * (seed, s, m): pick a source by its weight, a bucket of similar-length examples in it, then the batch
 * from that bucket. The data position is therefore just the step number, and a resumed run draws exactly
 * the batches the uninterrupted run would have drawn.
 */
public final class BatchSampler {
    private final List<List<List<Example>>> buckets = new ArrayList<>(); // source → bucket → examples
    private final double[] cumulative;
    private final long seed;
    private final int batchSize;

    public BatchSampler(List<List<Example>> sources, double[] weights, int batchSize, long seed) {
        if (sources.size() != weights.length) throw new IllegalArgumentException("one weight per source");
        this.batchSize = batchSize;
        this.seed = seed;
        this.cumulative = new double[weights.length];
        double total = 0;
        for (int i = 0; i < weights.length; i++) {
            if (sources.get(i).isEmpty()) throw new IllegalArgumentException("data source " + i + " has no examples");
            total += weights[i];
            cumulative[i] = total;
        }
        for (int i = 0; i < weights.length; i++) cumulative[i] /= total;
        int bucketSize = Math.max(batchSize * 4, 8);
        for (List<Example> src : sources) {
            List<Example> sorted = new ArrayList<>(src);
            sorted.sort(Comparator.comparingDouble(BatchSampler::length));
            List<List<Example>> bs = new ArrayList<>();
            for (int a = 0; a < sorted.size(); a += bucketSize) bs.add(sorted.subList(a, Math.min(sorted.size(), a + bucketSize)));
            buckets.add(bs);
        }
    }

    /** A length proxy: audio seconds × 25 (≈ positions after 4× downsampling) + characters / 4. */
    static double length(Example e) {
        int chars = e.answer().length() + e.prompt().stream().flatMap(t -> t.parts().stream())
                .mapToInt(p -> p instanceof dev.auris.prompt.Turn.Text t ? t.text().length() : 0).sum();
        return e.audioSeconds() * 25 + chars / 4.0;
    }

    public List<Example> batch(int step, int micro) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + step * 131L + micro);
        double u = r.nextDouble();
        int src = 0;
        while (src < cumulative.length - 1 && u >= cumulative[src]) src++;
        List<List<Example>> bs = buckets.get(src);
        List<Example> bucket = bs.get(r.nextInt(bs.size()));
        List<Example> out = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) out.add(bucket.get(r.nextInt(bucket.size())));
        return out;
    }
}
