package dev.auris.speech;

/**
 * What makes an LLM speak: LLaMA-Omni's speech decoder on its hidden states, a unit vocoder, and Ω, the
 * units per vocoder call while streaming (LLaMA-Omni: 10–100). Shared by sessions (both parts are
 * immutable); each answer streams through its own {@link SpeechStream}.
 */
public record SpeechHead(SpeechDecoder decoder, Vocoder vocoder, int omega) {
    public SpeechHead {
        if (omega < 1) throw new IllegalArgumentException("Ω (units per vocoder call) must be ≥ 1, got " + omega);
        if (decoder.config().units() > vocoder.units()) {
            throw new IllegalArgumentException("the speech decoder predicts " + decoder.config().units() + " units but the vocoder embeds only "
                    + vocoder.units() + ": use a vocoder trained on the same unit codebook");
        }
    }

    /** A stream for one answer. */
    public SpeechStream stream() { return new SpeechStream(this); }
}
