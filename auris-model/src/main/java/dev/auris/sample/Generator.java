package dev.auris.sample;

import dev.auris.core.Torch;
import dev.auris.llm.Session;
import dev.auris.tokenizer.Tokenizer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
        long t0 = System.nanoTime(), first = 0;
        Sampler sampler = new Sampler(options);
        Set<Integer> stops = new HashSet<>(eosIds);
        stops.addAll(options.stopTokens());
        int[] fed = session.tokens();
        TextStreamer streamer = new TextStreamer(tokenizer, fed.length == 0 ? new int[0] : new int[]{fed[fed.length - 1]});
        List<Integer> out = new ArrayList<>();
        List<Integer> history = new ArrayList<>();
        for (int id : session.tokens()) history.add(id);
        float[] current = Torch.toFloats(logits);
        StopReason reason = StopReason.MAX_TOKENS;
        int max = session.llm().config().maxPositionEmbeddings();
        int hold = options.stopStrings().stream().mapToInt(String::length).max().orElse(1) - 1; // chars held back for stop strings
        int emitted = 0;
        String text;
        while (true) {
            int next = sampler.sample(current, history.stream().mapToInt(Integer::intValue).toArray());
            if (first == 0) first = System.nanoTime() - t0;
            if (onToken != null) onToken.accept(next);
            if (stops.contains(next)) {
                reason = StopReason.EOS;
                break;
            }
            out.add(next);
            history.add(next);
            streamer.add(next);
            String full = streamer.text();
            int cut = firstStop(full, options.stopStrings());
            if (cut >= 0) {
                if (cut > emitted) onText.accept(full.substring(emitted, cut));
                emitted = cut;
                reason = StopReason.STOP_STRING;
                break;
            }
            int safe = full.length() - hold;
            if (safe > emitted) {
                onText.accept(full.substring(emitted, safe));
                emitted = safe;
            }
            if (out.size() >= options.maxTokens()) break;
            if (session.position() >= max) {
                reason = StopReason.CONTEXT_FULL;
                break;
            }
            try (PointerScope scope = new PointerScope()) {
                current = Torch.toFloats(session.step(next));
            }
        }
        if (reason == StopReason.STOP_STRING) {
            text = streamer.text().substring(0, emitted);
        } else {
            text = streamer.text();
            if (text.length() > emitted) onText.accept(text.substring(emitted));
        }
        return new Result(out.stream().mapToInt(Integer::intValue).toArray(), text, reason, first, System.nanoTime() - t0);
    }

    private static int firstStop(String text, List<String> stopStrings) {
        int best = -1;
        for (String s : stopStrings) {
            int i = text.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }
}
