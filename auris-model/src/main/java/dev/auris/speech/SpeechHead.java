package dev.auris.speech;

import dev.auris.core.DType;
import dev.auris.io.CheckpointException;
import java.nio.file.Path;

/**
 * What makes an LLM speak: LLaMA-Omni's speech decoder on its hidden states, a unit vocoder, and Ω, the
 * units per vocoder call while streaming (LLaMA-Omni: 10–100). Shared by sessions (both parts are
 * immutable); each answer streams through its own {@link SpeechStream}.
 */
public record SpeechHead(SpeechDecoder decoder, Vocoder vocoder, int omega) implements AutoCloseable {
    public SpeechHead {
        if (omega < 1) throw new IllegalArgumentException("Ω (units per vocoder call) must be ≥ 1, got " + omega);
        if (decoder.config().units() > vocoder.units()) {
            throw new IllegalArgumentException("the speech decoder predicts " + decoder.config().units() + " units but the vocoder embeds only "
                    + vocoder.units() + ": use a vocoder trained on the same unit codebook");
        }
    }

    /**
     * A speech decoder directory (LLaMA-Omni's {@code config.json} + {@code speech_generator.*} safetensors)
     * and a vocoder directory ({@link Vocoder#load}), for an LLM of width {@code llmHidden}.
     */
    public static SpeechHead load(Path decoderDir, Path vocoderDir, int omega, int llmHidden, DType dtype) {
        SpeechDecoder decoder = SpeechDecoder.load(decoderDir, dtype);
        Vocoder vocoder = null;
        try {
            if (decoder.config().llmHidden() != llmHidden) {
                throw new CheckpointException(decoderDir.resolve("config.json").toString(), null, "hidden_size is "
                        + decoder.config().llmHidden() + " but the LLM's hidden states are " + llmHidden + " wide", "use the speech decoder trained on this LLM");
            }
            vocoder = Vocoder.load(vocoderDir);
            return new SpeechHead(decoder, vocoder, omega);
        } catch (RuntimeException e) {
            decoder.close();
            if (vocoder != null) vocoder.close();
            throw e;
        }
    }

    @Override
    public void close() {
        decoder.close();
        vocoder.close();
    }

    /** A stream for one answer. */
    public SpeechStream stream() { return new SpeechStream(this); }
}
