package dev.auris.core;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Native memory contract: tensors made inside a {@link PointerScope} are freed when it closes, so a long
 * loop does not grow the process's resident memory; {@link Torch#scoped} hands its result to the caller's
 * scope and frees everything else.
 */
class NativeMemoryTest {
    static final int N = 4096, M = 64;

    /** One step: ~16 KB in, a 64×64 matmul (3 × 16 KB), a copy back and a few small ops: ~100 KB native. */
    static double step(float[] in, int i) {
        try (PointerScope scope = new PointerScope()) {
            Tensor a = Torch.fromFloats(in, N);
            Tensor m = a.view(M, M);
            Tensor p = torch.matmul(m, m.t()).add(Torch.scalar(i % 7));
            Tensor s = torch.tanh(p).sum();
            float[] out = Torch.toFloats(p);
            return out[i % out.length] + Torch.toFloats(s)[0];
        }
    }

    @Test
    void scopedLoopDoesNotLeak() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs Linux /proc to read resident memory");
        float[] in = new float[N];
        for (int i = 0; i < N; i++) in[i] = (float) Math.sin(i * 0.01) * 0.1f;
        double check = 0;
        for (int i = 0; i < 1000; i++) check += step(in, i);   // warm-up: allocator pools, JIT, thread arenas
        long rssBefore = NativeMemory.settledRssKb();
        long mallocBefore = NativeMemory.mallocInUse();
        for (int i = 0; i < 10_000; i++) check += step(in, i);
        long mallocAfter = NativeMemory.mallocInUse();                       // before any forced GC: scope frees, not the GC
        long rssAfter = NativeMemory.settledRssKb();
        assertTrue(Double.isFinite(check));
        // 10,000 steps allocate ~1 GB of native tensors; a leak of even one 16 KB buffer per step is 160 MB
        long grownMb = (rssAfter - rssBefore) / 1024;
        assertTrue(grownMb < 64, "resident memory grew by " + grownMb + " MB over 10,000 scoped steps ("
                + rssBefore / 1024 + " -> " + rssAfter / 1024 + " MB)");
        if (mallocBefore >= 0 && mallocAfter >= 0) {
            long liveMb = (mallocAfter - mallocBefore) >> 20;
            assertTrue(liveMb < 16, "live malloc'd memory grew by " + liveMb + " MB over 10,000 scoped steps");
        }
    }

    /**
     * {@link NativeMemory#mallocOutsideJvm()} sees a libtorch tensor and a direct buffer (memory held for us) come and
     * go, to the kB, whatever the JVM mallocs for itself meanwhile. The tests run with NMT (the parent pom's argLine).
     */
    @Test
    void mallocOutsideTheJvmCountsWhatLibrariesHold() {
        try (PointerScope warm = new PointerScope()) {                              // libtorch's first call sets up its own state
            assertEquals(64, torch.zeros(new long[]{64}).contiguous().add(Torch.scalar(1)).numel());
            assertEquals(64, java.nio.ByteBuffer.allocateDirect(64).capacity());
        }
        long before = NativeMemory.mallocOutsideJvm();
        assumeTrue(before >= 0, "needs -XX:NativeMemoryTracking=summary and glibc's mallinfo2");
        long held, released;
        try (PointerScope scope = new PointerScope()) {
            Tensor t = torch.zeros(new long[]{4 << 20}).contiguous();            // 16 MB of float32 from libtorch's allocator
            var direct = java.nio.ByteBuffer.allocateDirect(8 << 20);            // 8 MB through the JVM, on our behalf
            held = NativeMemory.mallocOutsideJvm();
            assertEquals(4 << 20, t.numel());
            assertEquals(8 << 20, direct.capacity());
            java.lang.ref.Reference.reachabilityFence(direct);
        }
        released = NativeMemory.mallocOutsideJvm();
        long grew = held - before;
        assertTrue(Math.abs(grew - (24 << 20)) < (1 << 20), "a 16 MB tensor and an 8 MB direct buffer read as " + (grew >> 10) + " kB");
        assertTrue(held - released > (15 << 20), "closing the scope freed only " + ((held - released) >> 10) + " kB");
    }

    @Test
    void stepResultIsRight() {
        // the loop above must do real work: check one step against a Java matmul
        float[] in = new float[N];
        for (int i = 0; i < N; i++) in[i] = (i % 13) * 0.01f;
        try (PointerScope scope = new PointerScope()) {
            float[] p = Torch.toFloats(torch.matmul(Torch.fromFloats(in, M, M), Torch.fromFloats(in, M, M).t()));
            for (int r = 0; r < M; r += 9) {
                for (int c = 0; c < M; c += 7) {
                    double want = 0;
                    for (int k = 0; k < M; k++) want += in[r * M + k] * in[c * M + k];
                    assertEquals(want, p[r * M + c], 1e-4, "[" + r + "," + c + "]");
                }
            }
        }
    }

    @Test
    void scopedReturnsLiveTensorToCallerAndFreesIntermediates() {
        List<Tensor> intermediates = new ArrayList<>();
        Tensor result;
        try (PointerScope outer = new PointerScope()) {
            result = Torch.scoped(() -> {
                Tensor a = Torch.fromFloats(new float[]{1, 2, 3, 4}, 2, 2);
                Tensor b = a.mul(Torch.scalar(10));
                Tensor c = b.add(a);
                intermediates.add(a);
                intermediates.add(b);
                return c;
            });
            for (Tensor t : intermediates) assertTrue(t.isNull(), "an intermediate tensor was not freed when scoped() returned");
            assertFalse(result.isNull());
            assertEquals(1, result.referenceCount(), "held by the caller's scope only");
            assertArrayEquals(new float[]{11, 22, 33, 44}, Torch.toFloats(result), 0f);
            // usable in further ops in the caller's scope
            assertArrayEquals(new float[]{22, 44, 66, 88}, Torch.toFloats(result.mul(Torch.scalar(2))), 0f);
        }
        assertTrue(result.isNull(), "the caller's scope frees the result when it closes");

        // nested: the result lands in the innermost enclosing scope, not an outer one
        try (PointerScope outer = new PointerScope()) {
            Tensor kept;
            try (PointerScope inner = new PointerScope()) {
                kept = Torch.scoped(() -> Torch.fromFloats(new float[]{5}, 1).add(Torch.scalar(1)));
                assertEquals(6f, Torch.toFloats(kept)[0]);
            }
            assertTrue(kept.isNull(), "freed with the inner scope");
        }

        // outside any scope the result is left to the garbage collector, still alive here
        AtomicReference<Tensor> tmp = new AtomicReference<>();
        Tensor free = Torch.scoped(() -> {
            Tensor x = Torch.fromFloats(new float[]{7, 8}, 2);
            tmp.set(x);
            return x.add(Torch.scalar(1));
        });
        assertTrue(tmp.get().isNull());
        assertArrayEquals(new float[]{8, 9}, Torch.toFloats(free), 0f);
        free.close();
    }

    @Test
    void ownTakesATensorOutOfTheScope() {
        Tensor owned;
        try (PointerScope scope = new PointerScope()) {
            owned = Torch.own(Torch.fromFloats(new float[]{1, 2}, 2));
        }
        assertFalse(owned.isNull(), "an owned tensor outlives the scope");
        assertArrayEquals(new float[]{1, 2}, Torch.toFloats(owned), 0f);
        owned.close();
        assertTrue(owned.isNull(), "and is freed by its owner");
    }

}
