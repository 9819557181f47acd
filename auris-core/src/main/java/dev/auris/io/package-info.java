/**
 * Files in and out: safetensors (read, atomic write), checkpoints, .npy, JSONL manifests ({@code ManifestFile}: paths
 * relative to the manifest), llama.cpp GGUF ({@code Gguf} read and validated, {@code GgmlDequant} / {@code GgmlQuant}
 * block formats, {@code GgufWeights} by Hugging Face name, {@code GgufWriter}).
 */
package dev.auris.io;
