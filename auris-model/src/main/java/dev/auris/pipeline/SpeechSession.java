package dev.auris.pipeline;

import dev.auris.core.Torch;
import dev.auris.llm.Session;
import dev.auris.sample.Generator;
import dev.auris.sample.SamplingOptions;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.*;
import java.util.function.Consumer;

/**
 * One conversation with a {@link SpeechLlm}: the history of turns and the LLM's KV cache across them.
 * Each new turn re-renders the whole conversation with the prompt template and feeds only what the cache
 * does not hold yet (rolling back to the first difference), so a multi-turn chat equals the same
 * conversation fed in one prefill. Each clip is encoded once per session.
 */
public final class SpeechSession implements AutoCloseable {
    private final SpeechLlm model;
    private final Session llm;
    private final List<Turn> history = new ArrayList<>();
    private final List<Object> fed = new ArrayList<>();          // per cached position: token id or AudioPos
    private final Map<Turn.Speech, Tensor> encoded = new IdentityHashMap<>();
    private double lastEncodeMs;

    private record AudioPos(Turn.Speech speech, int index) {
        @Override
        public boolean equals(Object o) { return o instanceof AudioPos a && a.speech == speech && a.index == index; }

        @Override
        public int hashCode() { return System.identityHashCode(speech) * 31 + index; }
    }

    SpeechSession(SpeechLlm model) {
        this.model = model;
        this.llm = model.llm().newSession();
    }

    public List<Turn> history() { return Collections.unmodifiableList(history); }

    public int position() { return llm.position(); }

    /** Adds a turn (user or assistant) to the history without running the model. */
    public void add(Turn turn) { history.add(turn); }

    /** Adds the user turn and feeds the conversation up to the assistant's reply; logits [V] of the next token. */
    public Tensor prefill(Turn user) {
        history.add(user);
        return feed(model.prompt().build(history, true));
    }

    /** Feeds one generated token; logits [V] of the next (the step API under {@link #respond}). */
    public Tensor step(int token) {
        Tensor logits = llm.step(token);
        fed.add(token);
        return logits;
    }

    /** Logits [V] after feeding the given items (the conversation as a whole). */
    Tensor feed(List<PromptBuilder.Item> items) {
        long t0 = System.nanoTime();
        List<Object> keys = new ArrayList<>();
        try (var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            for (PromptBuilder.Item it : items) {
                switch (it) {
                    case PromptBuilder.Tokens t -> { for (int id : t.ids()) keys.add(id); }
                    case PromptBuilder.Slot s -> {
                        Tensor e = encoded.computeIfAbsent(s.speech(), sp -> Torch.own(model.hear(sp.clip())));
                        for (int j = 0; j < e.size(0); j++) keys.add(new AudioPos(s.speech(), j));
                    }
                }
            }
            lastEncodeMs = (System.nanoTime() - t0) / 1e6;
            int common = 0;
            while (common < fed.size() && common < keys.size() && fed.get(common).equals(keys.get(common))) common++;
            if (common == keys.size()) common--; // nothing new: re-feed the last position for its logits
            if (common < 0) throw new IllegalArgumentException("empty prompt");
            llm.truncate(common);
            fed.subList(common, fed.size()).clear();
            final int from = common;
            return Torch.scoped(() -> {
                List<Tensor> pieces = new ArrayList<>();
                int pos = 0;
                for (PromptBuilder.Item it : items) {
                    switch (it) {
                        case PromptBuilder.Tokens t -> {
                            int a = Math.max(from - pos, 0);
                            if (a < t.ids().length) {
                                int[] ids = Arrays.copyOfRange(t.ids(), a, t.ids().length);
                                pieces.add(model.llm().embed(Torch.fromInts(ids)));
                            }
                            pos += t.ids().length;
                        }
                        case PromptBuilder.Slot s -> {
                            Tensor e = encoded.get(s.speech());
                            int n = (int) e.size(0), a = Math.max(from - pos, 0);
                            if (a < n) pieces.add(e.narrow(0, a, n - a));
                            pos += n;
                        }
                    }
                }
                Tensor x = torch.cat(new TensorVector(pieces.toArray(Tensor[]::new)), 0); // [T_new, D]
                Tensor logits = llm.prefill(x);
                fed.addAll(keys.subList(from, keys.size()));
                return logits;
            });
        }
    }

    /**
     * Answers a user turn, streaming {@link Event}s to {@code sink}: the text as it is generated, then
     * {@link Event.Done}. The answer joins the history.
     */
    public Event.Done respond(Turn user, SamplingOptions options, Consumer<Event> sink) {
        long t0 = System.nanoTime();
        try (PointerScope scope = new PointerScope(); var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            Tensor logits = prefill(user);
            int before = llm.position();
            Generator.Result r = Generator.generate(llm, logits, model.text().tokenizer(), options, model.text().eosIds(),
                    d -> sink.accept(new Event.TextDelta(d)));
            int fedTokens = llm.position() - before;
            for (int i = 0; i < fedTokens; i++) fed.add(r.tokens()[i]);
            history.add(Turn.assistant(r.text()));
            double first = (System.nanoTime() - t0) / 1e6 - (r.totalNanos() - r.firstTokenNanos()) / 1e6;
            Event.Done done = new Event.Done(r.text(), r.tokens().length, r.stop(), lastEncodeMs, first, r.tokensPerSecond());
            sink.accept(done);
            return done;
        }
    }

    /** Starts the conversation over (history, cache and encoded clips are dropped). */
    public void reset() {
        llm.reset();
        fed.clear();
        history.clear();
        encoded.values().forEach(Tensor::close);
        encoded.clear();
    }

    @Override
    public void close() {
        llm.close();
        encoded.values().forEach(Tensor::close);
        encoded.clear();
    }
}
