package dev.auris.core;

/**
 * How an LLM's linear weights are stored: dense tensors of the model's dtype; INT8 — weight-only int8 with a
 * float32 scale per 32 weights of a row (GGUF Q8_0 blocks load into it exactly), multiplied by the native kernel
 * (or Java's Vector API) with float32 activations; INT4 — 4-bit in GGUF Q4_0's 32-blocks (Q4_0 files load
 * into it exactly, and an INT8 request keeps a Q4_0 file's 4 bits); INT8_DYNAMIC — int8 rows through fbgemm, which also rounds the
 * activations to uint8 per tensor (W8A8); FP16 — fp16 packed for fbgemm, float32 math. The variants
 * themselves are {@code dev.auris.nn.Weights}.
 */
public enum WeightFormat { DENSE, INT8, INT4, INT8_DYNAMIC, FP16 }
