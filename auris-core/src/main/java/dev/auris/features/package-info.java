/** Stage 1, features: Whisper-compatible log-mel [M, F] (80 or 128 bins, hop 160 or 320) and mel warping. Reads {@code audio}; the encoder reads its output. */
package dev.auris.features;
