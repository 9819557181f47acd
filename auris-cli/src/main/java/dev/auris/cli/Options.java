package dev.auris.cli;

import dev.auris.core.Home;
import dev.auris.core.Torch;
import dev.auris.core.DType;
import dev.auris.core.Precision;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options every model command shares. */
final class Options {
    @Option(names = "--dtype", defaultValue = "auto", description = {"auto (default: the fastest measured on this CPU, per component: bf16 with AMX;"
            + " without it the encoder in f32 and a large LLM as Precision says, a small one in f32), f32, bf16, f16, or an LLM weight format:"
            + " int8 (weight-only, per 32 weights), int4 (weight-only, Q4_0's 32-blocks; computes in bf16 where the CPU has AVX512-BF16 or AMX), int8-dynamic (fbgemm W8A8), fp16w (fbgemm fp16). --stats says what ran."})
    String dtype;

    @Option(names = "--threads", description = "CPU threads (default: all cores, or AURIS_THREADS).")
    Integer threads;

    /** The precision for a single-dtype component (the encoder's choice under auto); applies the thread count. */
    DType dtype() {
        return precision().encoder();
    }

    /** What {@code --dtype} means on this CPU, per component; applies the thread count. */
    Precision precision() {
        if (threads != null) Torch.setThreads(threads);
        else Torch.init();
        return Precision.parse(dtype);
    }

    /** The --stats line: what --dtype became on this CPU and what the LLM's linear layers run. */
    static String describe(Precision p, DType encoder, dev.auris.llm.Llm llm) {
        return "precision: --dtype " + p.requested() + " on " + p.cpu().describe() + ": " + (encoder == null ? "" : "encoder " + encoder.name().toLowerCase(java.util.Locale.ROOT) + ", ")
                + "LLM " + llm.weightsDescription() + " (" + String.format(java.util.Locale.ROOT, "%.2f", llm.weightBytesPerToken() / 1e9) + " GB of weights a token)";
    }

    /** A path as given, or relative to the Auris home when it does not exist relative to the working directory. */
    static Path resolve(Path p) {
        if (p.isAbsolute() || p.toFile().exists()) return p;
        Path h = Home.resolve(p.toString());
        return h.toFile().exists() ? h : p;
    }
}
