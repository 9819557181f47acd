package dev.auris.sample;

import dev.auris.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * One answer being sampled, whatever runs the model: the sampler, the stop tokens and strings, the text
 * streamed so far. {@link #next} takes the logits of the position just fed and says which token to feed next,
 * or that the answer ended; {@link Generator} drives it with one session's steps, {@link ContinuousBatch} with
 * a batch's, so both give the same tokens for the same logits.
 */
public final class Decoding {
    private final long t0 = System.nanoTime();
    private final Sampler sampler;
    private final Set<Integer> stops;
    private final SamplingOptions options;
    private final TextStreamer streamer;
    private final List<Integer> out = new ArrayList<>();
    private final List<Integer> history = new ArrayList<>();
    private final Consumer<String> onText;
    private final IntConsumer onToken;
    private final int hold; // chars held back while a stop string may still be forming
    private long first;
    private int emitted;
    private Generator.StopReason reason;

    /**
     * @param fed     the tokens already in the sequence (the repetition penalty's history; the last one is the
     *                streamer's context)
     * @param onToken may be null; sees each sampled token, a stop token included, before it is fed
     */
    public Decoding(Tokenizer tokenizer, SamplingOptions options, Set<Integer> eosIds, int[] fed, Consumer<String> onText, IntConsumer onToken) {
        this.sampler = new Sampler(options);
        this.options = options;
        this.stops = new HashSet<>(eosIds);
        stops.addAll(options.stopTokens());
        this.streamer = new TextStreamer(tokenizer, fed.length == 0 ? new int[0] : new int[]{fed[fed.length - 1]});
        for (int id : fed) history.add(id);
        this.onText = onText;
        this.onToken = onToken;
        this.hold = options.stopStrings().stream().mapToInt(String::length).max().orElse(1) - 1;
    }

    /**
     * Samples from {@code logits} [V] (the sequence is at {@code position} of {@code maxPositions}); the token to
     * feed next, or -1 when the answer has ended (then {@link #result} is ready).
     */
    public int next(float[] logits, int position, int maxPositions) {
        if (reason != null) throw new IllegalStateException("the answer has ended (" + reason + ")");
        int next = sampler.sample(logits, history.stream().mapToInt(Integer::intValue).toArray());
        if (first == 0) first = System.nanoTime() - t0;
        if (onToken != null) onToken.accept(next);
        if (stops.contains(next)) return end(Generator.StopReason.EOS);
        out.add(next);
        history.add(next);
        streamer.add(next);
        String full = streamer.text();
        int cut = firstStop(full, options.stopStrings());
        if (cut >= 0) {
            if (cut > emitted) onText.accept(full.substring(emitted, cut));
            emitted = cut;
            return end(Generator.StopReason.STOP_STRING);
        }
        int safe = full.length() - hold;
        if (safe > emitted) {
            onText.accept(full.substring(emitted, safe));
            emitted = safe;
        }
        if (out.size() >= options.maxTokens()) return end(Generator.StopReason.MAX_TOKENS);
        if (position >= maxPositions) return end(Generator.StopReason.CONTEXT_FULL);
        return next;
    }

    private int end(Generator.StopReason why) {
        reason = why;
        if (why != Generator.StopReason.STOP_STRING) {
            String text = streamer.text();
            if (text.length() > emitted) onText.accept(text.substring(emitted));
            emitted = text.length();
        }
        return -1;
    }

    public boolean ended() { return reason != null; }

    /** The answer so far: its tokens (stop token excluded), text, why it stopped (null while running), timing. */
    public Generator.Result result() {
        return new Generator.Result(out.stream().mapToInt(Integer::intValue).toArray(), streamer.text().substring(0, emitted), reason, first,
                System.nanoTime() - t0);
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
