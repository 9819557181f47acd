package dev.auris.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the CPU can do, from {@code /proc/cpuinfo}: its model name and the instruction-set flags that decide
 * which dtype and kernels are fastest ({@link Precision#auto}). Elsewhere (no /proc) every flag is false.
 */
public record Cpu(String model, int cores, Set<String> flags) {
    private static volatile Cpu current;

    /** The CPU this process runs on (read once). */
    public static Cpu current() {
        Cpu c = current;
        if (c == null) current = c = read(Path.of("/proc/cpuinfo"));
        return c;
    }

    static Cpu read(Path cpuinfo) {
        String model = System.getProperty("os.arch");
        Set<String> flags = Set.of();
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
                if (key.equals("model name") && model.equals(System.getProperty("os.arch"))) model = value;
                if (key.equals("flags") && flags.isEmpty()) flags = Arrays.stream(value.split("\\s+")).collect(Collectors.toUnmodifiableSet());
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no flags, the portable choices
        }
        return new Cpu(model, Runtime.getRuntime().availableProcessors(), flags);
    }

    /** Intel AMX tiles with bf16: oneDNN's bf16 matmuls run several times faster than float32. */
    public boolean amx() { return flags.contains("amx_bf16") && flags.contains("amx_tile"); }

    /** AVX512-BF16 dot products (vdpbf16ps): bf16 GEMMs at about twice float32's rate, without AMX. */
    public boolean avx512Bf16() { return flags.contains("avx512_bf16"); }

    /** AVX512-VNNI (or AVX-VNNI): fbgemm's int8 dot products. */
    public boolean vnni() { return flags.contains("avx512_vnni") || flags.contains("avx_vnni"); }

    public boolean avx512() { return flags.contains("avx512f"); }

    /** e.g. "AMD EPYC, 2 cores, AVX-512, AVX512-BF16, VNNI, no AMX". */
    public String describe() {
        return model + ", " + cores + " cores" + (avx512() ? ", AVX-512" : "") + (avx512Bf16() ? ", AVX512-BF16" : "")
                + (vnni() ? ", VNNI" : "") + (amx() ? ", AMX" : ", no AMX");
    }
}
