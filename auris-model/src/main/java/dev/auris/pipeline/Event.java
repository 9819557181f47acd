package dev.auris.pipeline;

import dev.auris.sample.Generator;

/** What a streaming response emits: text as it comes, then one Done with the timing. */
public sealed interface Event permits Event.TextDelta, Event.Done {
    record TextDelta(String text) implements Event {}

    /**
     * @param encodeMs      audio encoding time (all clips of the turn)
     * @param firstTokenMs  from the call to the first sampled token (encode + prefill + first sample)
     */
    record Done(String text, int tokens, Generator.StopReason stop, double encodeMs, double firstTokenMs, double tokensPerSecond) implements Event {}
}
