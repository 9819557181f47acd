package dev.auris.core;

import java.io.IOException;
import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much native memory the process holds, for leak tests and diagnostics: resident memory (Linux
 * {@code /proc/self/status}) and the bytes glibc's malloc has handed out (libtorch's CPU allocator uses it).
 */
public final class NativeMemory {
    private NativeMemory() {}

    /**
     * VmRSS after a full GC, once the JVM has returned the freed heap to the OS: garbage Java arrays touch
     * fresh heap pages as the young generation grows, which is not native memory.
     */
    public static long settledRssKb() throws Exception {
        System.gc();
        long prev = rssKb();
        int stable = 0;
        for (int i = 0; i < 60 && stable < 3; i++) {
            Thread.sleep(50);
            long now = rssKb();
            stable = Math.abs(now - prev) < 1024 ? stable + 1 : 0;
            prev = now;
        }
        return prev;
    }

    /** Bytes currently allocated by glibc malloc (mallinfo2: uordblks + hblkhd), or -1 where unavailable. */
    public static long mallocInUse() {
        try {
            Linker linker = Linker.nativeLinker();
            var fn = linker.defaultLookup().find("mallinfo2");
            if (fn.isEmpty()) return -1;
            StructLayout info = MemoryLayout.structLayout(MemoryLayout.sequenceLayout(10, ValueLayout.JAVA_LONG));
            MethodHandle h = linker.downcallHandle(fn.get(), FunctionDescriptor.of(info));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = (MemorySegment) h.invokeExact((SegmentAllocator) arena);
                // arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost
                return s.getAtIndex(ValueLayout.JAVA_LONG, 7) + s.getAtIndex(ValueLayout.JAVA_LONG, 4);
            }
        } catch (Throwable t) {
            return -1;
        }
    }

    /** Resident set size of this process in kB, from /proc/self/status. */
    public static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
