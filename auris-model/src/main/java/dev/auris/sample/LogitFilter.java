package dev.auris.sample;

/**
 * One step of the sampler's chain: narrows or reshapes the {@link Candidates} for the next token. The
 * chain is composed as openai/whisper's {@code decoding.py} composes its {@code LogitFilter}s (each
 * {@code apply(logits, tokens)} in turn, then a token decoder picks), so each filter is one small idea
 * instead of fifty lines of inline branches. {@link Sampler} applies them in the order of Hugging Face's
 * logits processors: {@link RepetitionPenalty}, {@link Temperature}, {@link TopK}, {@link TopP},
 * {@link MinP}. The first three work on the logits, the last two on the probabilities of the tokens
 * still kept, which {@link Candidates#probabilities()} computes once, after top-k.
 */
sealed interface LogitFilter permits RepetitionPenalty, Temperature, TopK, TopP, MinP {
    void apply(Candidates c);
}
