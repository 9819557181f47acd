/** Stage 4, hearing: what a ctc-compress model's CTC head hears in a clip, as LLM token ids — greedy CTC, the CTC prefix scorer, the joint CTC / LLM beam search — and the typed auris.json {@code decoding} settings. */
package dev.auris.hearing;
