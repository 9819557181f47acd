/** Stage 0, audio in: {@code AudioClip} (16 kHz mono float samples), WAV and FFmpeg decoding, resampling. Every clip enters here. */
package dev.auris.audio;
