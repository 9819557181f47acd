package dev.auris.cli;

import dev.auris.io.GgmlType;
import dev.auris.llm.GgufExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** {@code auris quantize --model models/stories260K --to q8_0 --out stories260K-q8_0.gguf}: a GGUF file llama.cpp reads. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Write a Hugging Face Llama-family directory as a llama.cpp GGUF file (q8_0, q4_0, f16 or f32).",
                "As convert_hf_to_gguf.py: llama.cpp names and metadata, q/k rows permuted for its RoPE, norms in F32. Run it with --model x.gguf."})
final class QuantizeCommand implements Runnable {
    @Option(names = "--model", required = true, description = "Hugging Face LLM directory (config.json + safetensors).")
    Path model;
    @Option(names = "--to", required = true, description = "Weight format: q8_0, q4_0, f16 or f32.")
    String to;
    @Option(names = "--out", required = true, description = "Output .gguf file.")
    Path out;

    @Override
    public void run() {
        GgmlType type = switch (to.toLowerCase(Locale.ROOT)) {
            case "q8_0" -> GgmlType.Q8_0;
            case "q4_0" -> GgmlType.Q4_0;
            case "f16" -> GgmlType.F16;
            case "f32" -> GgmlType.F32;
            default -> throw new IllegalArgumentException("--to " + to + ": use q8_0, q4_0, f16 or f32");
        };
        long t0 = System.nanoTime();
        int n = GgufExport.write(Options.resolve(model), type, out);
        try {
            System.err.printf(Locale.ROOT, "wrote %s: %d tensors, %s, %.1f MB in %.1f s%n", out, n, type, Files.size(out) / 1e6, (System.nanoTime() - t0) / 1e9);
        } catch (java.io.IOException e) {
            System.err.println("wrote " + out);
        }
    }
}
