package dev.auris.core;

import java.util.Locale;

/** Element types of checkpoint tensors, by their safetensors names. */
public enum DType {
    F32("F32", 4), F16("F16", 2), BF16("BF16", 2), I64("I64", 8), I32("I32", 4), I8("I8", 1), U8("U8", 1), BOOL("BOOL", 1);

    private final String safetensorsName;
    private final int bytes;

    DType(String safetensorsName, int bytes) {
        this.safetensorsName = safetensorsName;
        this.bytes = bytes;
    }

    public String safetensorsName() { return safetensorsName; }

    public int bytes() { return bytes; }

    public boolean isFloatingPoint() { return this == F32 || this == F16 || this == BF16; }

    /** The dtype a safetensors header names ("F32", "BF16", ...), if Auris reads it. */
    public static java.util.Optional<DType> ofSafetensors(String name) {
        for (DType t : values()) if (t.safetensorsName.equals(name)) return java.util.Optional.of(t);
        return java.util.Optional.empty();
    }

    /** Parses a user-facing name: f32 / float32, f16 / float16 / half, bf16 / bfloat16. */
    public static DType parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32", "float32", "float", "fp32" -> F32;
            case "f16", "float16", "half", "fp16" -> F16;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "': use f32, f16 or bf16");
        };
    }
}
