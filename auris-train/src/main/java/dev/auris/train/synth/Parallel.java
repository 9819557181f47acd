package dev.auris.train.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * Data-preparation work items (one sampled story, one distilled answer, one spoken clip) on every core, results in item
 * order: the output is the same for any number of threads. Token-by-token generation with a tiny LLM is
 * bound by per-op overhead, not by the math, so one item per core is what scales.
 */
public final class Parallel {
    private Parallel() {}

    public static <T> List<T> map(int n, IntFunction<T> item) {
        int threads = Math.max(1, Math.min(n, Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "auris-prepare");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> futures = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int k = i;
                futures.add(pool.submit(() -> item.apply(k)));
            }
            List<T> out = new ArrayList<>(n);
            for (Future<T> f : futures) out.add(f.get());
            return out;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            pool.shutdownNow();
        }
    }
}
