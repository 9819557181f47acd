/** The stages composed: {@code SpeechLlm} (immutable runtime: encode → select → connect → LLM), {@code ModelDirectory} (auris.json directories: load, compose, save), {@code Hearing} (how a clip enters the prompt), {@code Transcriber}s, and {@code SpeechSession} (one conversation, streaming sealed {@code Event}s). */
package dev.auris.pipeline;
