/** Stage 2, the speech encoder: Whisper (Hugging Face WhisperModel weights), log-mel [B, M, F] → hidden states [B, T, De] of every layer. */
package dev.auris.encoder;
