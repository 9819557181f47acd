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

    private static final java.util.regex.Pattern NMT_TOTAL = java.util.regex.Pattern.compile("Total:[^\\n]*\\n\\s*malloc: (\\d+)KB");
    private static final java.util.regex.Pattern NMT_OTHER = java.util.regex.Pattern.compile("-\\s+Other \\([^\\n]*\\n\\s*\\(malloc=(\\d+)KB");

    /**
     * The bytes glibc's malloc has handed out to native libraries and to memory allocated through the JVM on their
     * behalf (libtorch's tensors, ONNX Runtime, JavaCPP, FFM arenas and direct buffers): {@link #mallocInUse()} less
     * what the JVM mallocs for itself (C2's compiler arenas, GC tables, symbols, threads) as Native Memory Tracking
     * counts it. The JVM's own share swings by tens of MB while C2 compiles and its chunk pool is trimmed, which a
     * leak test cannot tell from a leak; this does not. NMT is read before and after glibc, and again while the JVM's
     * share moved by more than 16 kB in between. Exact to ≈ 1 kB (NMT reports kB) plus malloc's per-block headers; -1
     * unless the JVM runs with {@code -XX:NativeMemoryTracking=summary} (or detail) and glibc has mallinfo2.
     */
    public static long mallocOutsideJvm() {
        long jvmBefore = jvmOwnMalloc();
        for (int attempt = 0; attempt < 5 && jvmBefore >= 0; attempt++) {
            long malloc = mallocInUse();
            long jvmAfter = jvmOwnMalloc();
            if (malloc < 0 || jvmAfter < 0) return -1;
            if (Math.abs(jvmAfter - jvmBefore) <= (16 << 10)) return malloc - (jvmBefore + jvmAfter) / 2;
            jvmBefore = jvmAfter;                                             // the JVM malloc'd between the reads (C2, GC): again
        }
        return -1;
    }

    /** The JVM's own malloc'd bytes (NMT's total less its "Other": Unsafe, FFM, direct buffers), or -1 without NMT. */
    private static long jvmOwnMalloc() {
        String report;
        try {
            report = (String) java.lang.management.ManagementFactory.getPlatformMBeanServer().invoke(
                    new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[]{new String[]{"summary"}}, new String[]{String[].class.getName()});
        } catch (Exception | LinkageError e) {
            return -1;
        }
        var total = NMT_TOTAL.matcher(report);
        if (!total.find()) return -1;                                         // "Native memory tracking is not enabled"
        var other = NMT_OTHER.matcher(report);                                // Unsafe / FFM / direct buffers: on our behalf
        return (Long.parseLong(total.group(1)) - (other.find() ? Long.parseLong(other.group(1)) : 0)) << 10;
    }

    /** Resident set size of this process in kB, from /proc/self/status. */
    public static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
