package dev.auris.cli;

import dev.auris.core.Home;
import dev.auris.core.Torch;
import dev.auris.core.DType;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options every model command shares. */
final class Options {
    @Option(names = "--dtype", defaultValue = "f32", description = "Weight dtype: f32, bf16 or f16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--threads", description = "CPU threads (default: all cores, or AURIS_THREADS).")
    Integer threads;

    DType dtype() {
        if (threads != null) Torch.setThreads(threads);
        else Torch.init();
        return DType.parse(dtype);
    }

    /** A path as given, or relative to the Auris home when it does not exist relative to the working directory. */
    static Path resolve(Path p) {
        if (p.isAbsolute() || p.toFile().exists()) return p;
        Path h = Home.resolve(p.toString());
        return h.toFile().exists() ? h : p;
    }
}
