/** Stage 6, the LLM: Llama / Qwen2 / Qwen3 / Mistral from Hugging Face safetensors, embeddings [T, D] → logits [T, V], a {@code Session} with its KV cache, LoRA views, the llama2.c converter. */
package dev.auris.llm;
