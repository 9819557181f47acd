package dev.auris.core;

import java.util.Locale;

/**
 * What a command runs in: the user's {@code --dtype} (or {@code auto}) applied to the {@link Cpu} at hand,
 * per component, since the fastest choice differs (docs/BENCHMARKS.md has the measurements behind it):
 * <ul>
 *   <li>encoder: bf16 only with AMX. Without it bf16 attention runs on libtorch's slow bf16 paths and a
 *       Whisper encoder is ≈ 4× slower in bf16 than in float32 (oneDNN's f32 GEMMs, fused f32 SDPA).
 *   <li>LLM: bf16 with AMX; without it, a large LLM (≥ {@link #LARGE_LLM_PARAMS}) takes {@link #LARGE_LLM_FALLBACK}, a
 *       small one float32 (per-call overhead, not bytes, bounds it; float32 is also exact); a GGUF file of
 *       Q8_0 / Q4_0 blocks runs them as int8 (the file chose the quantization).
 * </ul>
 * An explicit {@code --dtype} applies to both components; {@code int8} / {@code int8-dynamic} / {@code fp16w} are LLM weight
 * formats (float32 activations) and leave the encoder at its automatic choice.
 */
public record Precision(String requested, Cpu cpu) {
    /** LLM parameters from which decode is bound by streaming the weights. */
    public static final long LARGE_LLM_PARAMS = 100_000_000L;
    /** The weight format of a large LLM on a CPU without AMX: measured fastest decode that keeps ≈ bf16 accuracy. */
    public static final Llm LARGE_LLM_FALLBACK = new Llm(DType.BF16, WeightFormat.DENSE);

    /** The LLM's compute dtype (activations, norms, attention, KV cache) and how its linear weights are stored. */
    public record Llm(DType dtype, WeightFormat weights) {
        public String describe() {
            return switch (weights) {
                case DENSE -> dtype.name().toLowerCase(Locale.ROOT);
                case INT8 -> "int8 weights (32-blocks, Vector API) × " + dtype.name().toLowerCase(Locale.ROOT);
                case INT8_DYNAMIC -> "int8 weights and activations (fbgemm) × " + dtype.name().toLowerCase(Locale.ROOT);
                case FP16 -> "fp16 weights (fbgemm) × " + dtype.name().toLowerCase(Locale.ROOT);
            };
        }
    }

    public Precision {
        requested = requested == null ? "auto" : requested.toLowerCase(Locale.ROOT);
        if (!requested.equals("auto") && !requested.equals("int8") && !requested.equals("int8-dynamic") && !requested.equals("fp16w")) DType.parse(requested); // validates
    }

    public static Precision auto() { return new Precision("auto", Cpu.current()); }

    public static Precision parse(String dtype) { return new Precision(dtype, Cpu.current()); }

    /** An explicit dtype for both components (the pre-detection behaviour). */
    public static Precision of(DType dtype) { return new Precision(dtype.name(), Cpu.current()); }

    public boolean isAuto() { return requested.equals("auto"); }

    /** The encoder's (and fusion's) dtype. */
    public DType encoder() {
        return switch (requested) {
            case "auto", "int8", "int8-dynamic", "fp16w" -> cpu.amx() ? DType.BF16 : DType.F32;
            default -> DType.parse(requested);
        };
    }

    /** The LLM's dtype and weight format for a model of {@code params} parameters; {@code int8Blocks}: a GGUF file of Q8_0 / Q4_0 weights. */
    public Llm llm(long params, boolean int8Blocks) {
        return switch (requested) {
            case "int8" -> new Llm(DType.F32, WeightFormat.INT8);
            case "int8-dynamic" -> new Llm(DType.F32, WeightFormat.INT8_DYNAMIC);
            case "fp16w" -> new Llm(DType.F32, WeightFormat.FP16);
            case "auto" -> {
                if (int8Blocks) yield new Llm(DType.F32, WeightFormat.INT8);
                if (cpu.amx()) yield new Llm(DType.BF16, WeightFormat.DENSE);
                yield params >= LARGE_LLM_PARAMS ? LARGE_LLM_FALLBACK : new Llm(DType.F32, WeightFormat.DENSE);
            }
            default -> new Llm(DType.parse(requested), WeightFormat.DENSE);
        };
    }

    /** One line for {@code --stats} and bench output. */
    public String describe(Llm llm) {
        return "dtype " + requested + " on " + cpu.describe() + ": encoder " + encoder().name().toLowerCase(Locale.ROOT)
                + (llm == null ? "" : ", LLM " + llm.describe());
    }
}
