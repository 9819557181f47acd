package dev.auris.core;

import java.util.Locale;

/**
 * What a command runs in: the user's {@code --dtype} (or {@code auto}) applied to the {@link Cpu} at hand,
 * per component, since the fastest choice differs (docs/BENCHMARKS.md has the measurements behind it):
 * <ul>
 *   <li>encoder: bf16 with AMX, or with AVX512-BF16 for encoders of Whisper-base width and up (oneDNN's bf16
 *       GEMMs and GELU; attention through float32's fused SDPA, {@code nn.Attention}); a tiny encoder float32.
 *   <li>LLM: bf16 with AMX; without it, a large LLM (≥ {@link #LARGE_LLM_PARAMS}) takes {@link #LARGE_LLM_FALLBACK}, a
 *       small one float32 (per-call overhead, not bytes, bounds it; float32 is also exact); a GGUF file of
 *       Q8_0 / Q4_0 blocks runs them as int8 (the file chose the quantization).
 * </ul>
 * An explicit {@code --dtype} applies to both components; {@code int8} / {@code int4} / {@code int8-dynamic} / {@code fp16w} are LLM weight
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
                case INT8 -> "int8 weights (32-blocks) × " + dtype.name().toLowerCase(Locale.ROOT);
                case INT4 -> "int4 weights (Q4_0 32-blocks) × " + dtype.name().toLowerCase(Locale.ROOT);
                case INT8_DYNAMIC -> "int8 weights and activations (fbgemm) × " + dtype.name().toLowerCase(Locale.ROOT);
                case FP16 -> "fp16 weights (fbgemm) × " + dtype.name().toLowerCase(Locale.ROOT);
            };
        }
    }

    public Precision {
        requested = requested == null ? "auto" : requested.toLowerCase(Locale.ROOT);
        if (!java.util.List.of("auto", "int8", "int4", "int8-dynamic", "fp16w").contains(requested)) DType.parse(requested); // validates
    }

    public static Precision auto() { return new Precision("auto", Cpu.current()); }

    public static Precision parse(String dtype) { return new Precision(dtype, Cpu.current()); }

    /** An explicit dtype for both components (the pre-detection behaviour). */
    public static Precision of(DType dtype) { return new Precision(dtype.name(), Cpu.current()); }

    public boolean isAuto() { return requested.equals("auto"); }

    /** Encoder width from which bf16 pays without AMX (Whisper base and up; a tiny encoder is overhead-bound and stays exact in f32). */
    public static final int LARGE_ENCODER_WIDTH = 512;

    /** The dtype of an encoder (and its fusion) of width {@code dModel}. */
    public DType encoder(int dModel) {
        return switch (requested) {
            case "auto", "int8", "int4", "int8-dynamic", "fp16w" -> cpu.amx() || cpu.avx512Bf16() && dModel >= LARGE_ENCODER_WIDTH ? DType.BF16 : DType.F32;
            default -> DType.parse(requested);
        };
    }

    /** The dtype of a large encoder ({@link #encoder(int)}). */
    public DType encoder() {
        return encoder(Integer.MAX_VALUE);
    }

    /** For commands whose output is checked against reference implementations: auto means float32 there. */
    public Precision exactUnlessAsked() {
        return isAuto() ? new Precision("f32", cpu) : this;
    }

    /** The LLM's dtype and weight format for a model of {@code params} parameters; {@code int8Blocks}: a GGUF file of Q8_0 / Q4_0 weights. */
    public Llm llm(long params, boolean int8Blocks) {
        return switch (requested) {
            case "int8" -> new Llm(DType.F32, WeightFormat.INT8);
            // int4 computes in bf16 where the CPU multiplies bf16: its prefill then runs the bf16 GEMM on the unpacked weights and
            // the fused bf16 attention (pp512 123.6 → 219.1 t/s on Zen 5); a decode step is the fused float32 one either way
            case "int4" -> new Llm(cpu.amx() || cpu.avx512Bf16() ? DType.BF16 : DType.F32, WeightFormat.INT4);
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
