package dev.auris.nn;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.*;

/** Every row runs exactly once, in ranges that start on the alignment, however the chunks fall to the threads. */
class RowSplitTest {
    @ParameterizedTest
    @CsvSource({"1,1,2,1", "100,64,2,1", "2048,2048,2,1", "5632,2048,4,32", "37,1000000,2,4", "32000,2048,2,1", "8,1,2,1"})
    void everyRowRunsOnceInAlignedRanges(int n, long rowWork, int threads, int align) {
        for (int round = 0; round < 50; round++) {
            AtomicIntegerArray seen = new AtomicIntegerArray(n);
            var ranges = new ConcurrentLinkedQueue<int[]>();
            RowSplit.run(n, rowWork, threads, align, (r0, r1) -> {
                ranges.add(new int[]{r0, r1});
                for (int r = r0; r < r1; r++) seen.incrementAndGet(r);
            });
            for (int r = 0; r < n; r++) assertEquals(1, seen.get(r), "row " + r + " of " + n);
            for (int[] g : ranges) assertTrue(g[0] % align == 0 && g[0] < g[1], java.util.Arrays.toString(g));
            long big = Math.max(1, rowWork) * n / RowSplit.MIN_PART_WORK;
            assertTrue(ranges.size() <= Math.max(1, Math.min(threads, big)), ranges.size() + " ranges");        // parts of ≥ MIN_PART_WORK
        }
    }

    @Test
    void aFailingChunkFailsTheProductAndTheNextRuns() {
        var boom = assertThrows(IllegalStateException.class, () -> RowSplit.run(4096, 4096, 2, 1, (r0, r1) -> {
            if (r0 <= 3000 && 3000 < r1) throw new IllegalStateException("row 3000 failed");
        }));
        assertEquals("row 3000 failed", boom.getMessage());
        AtomicIntegerArray seen = new AtomicIntegerArray(4096);
        RowSplit.run(4096, 4096, 2, 1, (r0, r1) -> { for (int r = r0; r < r1; r++) seen.incrementAndGet(r); });
        for (int r = 0; r < 4096; r++) assertEquals(1, seen.get(r));
    }
}
