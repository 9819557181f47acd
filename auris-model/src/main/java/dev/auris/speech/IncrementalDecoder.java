package dev.auris.speech;

import dev.auris.core.Torch;
import dev.auris.llm.KvCache;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The speech decoder fed as the LLM writes: each {@link #push} takes the hidden states of the new answer
 * tokens [n, D], runs only their λn frames through the layers (earlier frames' keys and values come from a
 * KV cache — exact because the decoder is causal, see {@link SpeechDecoder}) and returns the units they
 * complete, collapsed greedily with the label of the previous chunk's last frame carried over. LLaMA-Omni's
 * {@code generation.py} instead re-predicts the whole answer every token and emits the units past those
 * already emitted; both give the units of decoding the whole answer at once.
 */
public final class IncrementalDecoder implements AutoCloseable {
    private final SpeechDecoder decoder;
    private final KvCache cache;
    private final GreedyCtc ctc;
    private long frames; // decoder positions fed so far

    IncrementalDecoder(SpeechDecoder decoder) {
        this.decoder = decoder;
        this.cache = decoder.newCache();
        this.ctc = new GreedyCtc(decoder.config().blank());
    }

    /** The units completed by the hidden states [n, D] of the next n answer tokens (possibly none). */
    public long[] push(Tensor states) {
        decoder.checkStates(states);
        if (states.size(0) == 0) return new long[0];
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = decoder.upsample(states).unsqueeze(0);                         // [1, λn, D]
            Tensor logits = decoder.frames(x, frames, cache);                          // [1, λn, K + 1]
            frames += x.size(1);
            return ctc.push(Torch.toLongs(torch.argmax(logits.squeeze(0), new LongOptional(-1), false)));
        }
    }

    /** Decoder frames fed so far (λ × answer tokens). */
    public long frames() { return frames; }

    @Override
    public void close() { cache.close(); }
}
