package dev.auris.sample;

import dev.auris.llm.Session;
import dev.auris.tokenizer.Tokenizer;
import org.bytedeco.pytorch.Tensor;

import java.util.Set;
import java.util.function.Consumer;

/**
 * The decode loop on top of the step API: sample, stream the text delta, feed the token back, stop on
 * an EOS/stop token, a stop string, the token budget or the context end. Each step runs in its own
 * pointer scope, so native memory stays flat however long the answer.
 */
public final class Generator {
    /** What came out: the new token ids (stop token excluded), their text, why it stopped, timing. */
    public record Result(int[] tokens, String text, StopReason stop, long firstTokenNanos, long totalNanos) {
        public double tokensPerSecond() {
            return tokens.length <= 1 ? 0 : (tokens.length - 1) / ((totalNanos - firstTokenNanos) / 1e9);
        }
    }

    public enum StopReason { EOS, STOP_STRING, MAX_TOKENS, CONTEXT_FULL }

    private Generator() {}

    /**
     * Generates from a session whose prompt is already prefilled, {@code logits} being the last prompt
     * position's logits. {@code eosIds} end generation (the model's EOS ids plus the options' stop tokens).
     */
    public static Result generate(Session session, Tensor logits, Tokenizer tokenizer, SamplingOptions options, Set<Integer> eosIds,
                                  Consumer<String> onText) {
        return generate(session, logits, tokenizer, options, eosIds, onText, null);
    }

    /**
     * As above; {@code onToken} (may be null) sees each sampled token, a stop token included, before it is
     * fed — while the session's {@link Session#lastHidden} is still the state that predicted it.
     */
    public static Result generate(Session session, Tensor logits, Tokenizer tokenizer, SamplingOptions options, Set<Integer> eosIds,
                                  Consumer<String> onText, java.util.function.IntConsumer onToken) {
        return DecodeLoop.ALONE.run(session, logits, new Decoding(tokenizer, options, eosIds, session.tokens(), onText, onToken));
    }
}
