/** Measurements of a model: WER of each decoder, speech/text agreement, text perplexity retention; the report. */
package dev.auris.train.eval;
