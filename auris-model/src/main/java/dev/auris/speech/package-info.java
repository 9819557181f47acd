/**
 * Speech out (after {@code llm} in the data flow): LLaMA-Omni's CTC speech decoder (the LLM's hidden states
 * of the answer [T, D] → upsampled ×λ → Llama layers → units over K + blank, decoded greedily as the
 * states arrive), and unit vocoders (fairseq's CodeHiFiGAN) behind {@code Vocoder}, streamed every Ω units
 * by {@code UnitStreamer}. Imports nn, llm, units, core and io; the pipeline imports it, never the reverse.
 *
 * <p>Shapes: T answer tokens, D LLM width, λ upsample factor, T' = λT decoder frames, W decoder width,
 * K units (blank = K), N units of an utterance, F vocoder frames (units repeated by their durations),
 * C channels, H samples per frame, S samples.
 */
package dev.auris.speech;
