package dev.auris.cli;

import dev.auris.core.Home;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reference kit (llama.cpp and whisper.cpp built from source snapshots, random-weight models of the bench's
 * shapes) run in the same sitting as {@code auris bench --reference}: its {@code bench.sh} table, parsed by row.
 * The kit: {@code --refkit DIR}, {@code AURIS_REFKIT}, or the repository's {@code bench/refkit}; it is built once with its {@code build.sh} (≈ 4 min on 2 cores, ≈ 6.5 GB in /tmp).
 */
final class Reference {
    /** "llama-1.1b bf16   158.7 +- 2.0   18.2 +- 0.1   -" / "whisper-base f16   -   -   1000 (FA on)". */
    private static final Pattern ROW = Pattern.compile("^(llama-\\S+|whisper-\\S+) (\\S+)\\s+(\\S+(?: \\+- \\S+)?)\\s+(\\S+(?: \\+- \\S+)?)\\s+(\\S+(?: \\(FA \\w+\\))?)\\s*$");

    private Reference() {}

    /** Runs bench.sh with {@code threads}; rows by "llama-1.1b q8_0" → {pp, tg, -} and "whisper-base" → {-, -, ms}. */
    static Map<String, String[]> run(Path dir, int threads) {
        return run(dir, threads, List.of(), 3);
    }

    /**
     * As above for the kit's {@code models} only (bf16, f16, q8_0, q4_0: llama.cpp's 1.1B in that type; whisper-base,
     * whisper-small; none: all), llama-bench repeating {@code llamaRepeat} times.
     */
    static Map<String, String[]> run(Path dir, int threads, List<String> models, int llamaRepeat) {
        Path kit = locate(dir);
        System.out.println("reference kit " + kit + ": bench.sh " + threads + (models.isEmpty() ? " (llama.cpp, whisper.cpp; ≈ 6 min)" : " " + String.join(" ", models))
                + ", load average " + loadAverage());
        Map<String, String[]> rows = new LinkedHashMap<>();
        try {
            List<String> command = new ArrayList<>(List.of("bash", kit.resolve("bench.sh").toString(), Integer.toString(threads)));
            command.addAll(models);
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("LLAMA_REPEAT", Integer.toString(llamaRepeat));
            Process p = pb.start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                for (String line; (line = r.readLine()) != null; ) {
                    System.out.println("  | " + line);
                    Matcher m = ROW.matcher(line.trim());
                    if (!m.matches()) continue;
                    String key = m.group(1).startsWith("whisper") ? m.group(1) : m.group(1) + " " + m.group(2);
                    rows.put(key, new String[]{m.group(3), m.group(4), m.group(5).replaceAll(" \\(FA \\w+\\)", "")});
                }
            }
            if (p.waitFor() != 0) throw new IllegalStateException("the reference kit's bench.sh failed (exit " + p.exitValue() + "); its output is above");
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + kit.resolve("bench.sh") + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the reference kit ran", e);
        }
        return rows;
    }

    private static Path locate(Path dir) {
        String env = System.getenv("AURIS_REFKIT");
        Path kit = dir != null ? dir : env != null && !env.isBlank() ? Path.of(env) : Home.resolve("bench/refkit");
        if (!Files.isRegularFile(kit.resolve("bench.sh"))) {
            throw new IllegalArgumentException("no reference kit at " + kit + " (bench.sh missing): point --refkit"
                    + " or AURIS_REFKIT at a reference kit (the repository's bench/refkit), and build it once with its build.sh");
        }
        return kit;
    }

    /** The llama.cpp model type to compare an Auris precision with (the same bytes per weight). */
    static String counterpart(String dtype) {
        return switch (dtype.toLowerCase(Locale.ROOT)) {
            case "int8", "int8-dynamic" -> "q8_0";
            case "int4" -> "q4_0";
            case "f16", "fp16w", "f32" -> "f16";    // the kit has no F32 row: F16 is its nearest
            default -> "bf16";
        };
    }

    /** The mean of "158.7 +- 2.0", or a plain number; NaN for "-". */
    static double number(String cell) {
        try {
            return Double.parseDouble(cell.split(" ")[0]);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** The 1-, 5- and 15-minute load averages, as /proc/loadavg gives them ("?" elsewhere). */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }
}
