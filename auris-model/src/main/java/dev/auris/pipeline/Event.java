package dev.auris.pipeline;

import dev.auris.sample.Generator;

/** What a streaming response emits: text as it comes, with a speech head its units and audio, then one Done with the timing. */
public sealed interface Event permits Event.TextDelta, Event.Units, Event.AudioChunk, Event.Done {
    record TextDelta(String text) implements Event {}

    /** Units the speech decoder completed (greedy CTC, blanks dropped, repeats merged across tokens). */
    record Units(long[] units) implements Event {}

    /** Audio of the answer [S] at {@code sampleRate}, every Ω units; the chunks concatenate to the whole answer's audio. */
    record AudioChunk(float[] samples, int sampleRate) implements Event {}

    /**
     * @param encodeMs      audio encoding time (all clips of the turn)
     * @param firstTokenMs  from the call to the first sampled token (encode + prefill + first sample)
     * @param firstAudioMs  from the call (the end of the user's speech) to the first audio chunk; NaN without speech out
     * @param vocoderRtf    the vocoder's time / the audio's duration; NaN without speech out
     */
    record Done(String text, int tokens, Generator.StopReason stop, double encodeMs, double firstTokenMs, double tokensPerSecond,
                double firstAudioMs, double vocoderRtf) implements Event {}
}
