package dev.auris.pipeline;

import dev.auris.prompt.PromptBuilder;
import dev.auris.prompt.Turn;
import dev.auris.core.Torch;
import dev.auris.llm.Session;
import dev.auris.sample.DecodeLoop;
import dev.auris.sample.Decoding;
import dev.auris.sample.Generator;
import dev.auris.sample.SamplingOptions;
import dev.auris.speech.SpeechHead;
import dev.auris.speech.SpeechStream;
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
 * conversation fed in one prefill. Each clip is heard once per session, as the session's {@link Hearing}
 * says, before the prompt is fed: as embeddings for its slot, or as its transcript's tokens.
 */
public final class SpeechSession implements AutoCloseable {
    private final SpeechLlm model;
    private final Session llm;
    private final List<Turn> history = new ArrayList<>();
    private final List<Object> fed = new ArrayList<>();          // per cached position: token id or AudioPos
    private final Hearing hearing;
    private final Map<Turn.Speech, Hearing.Heard> heard = new IdentityHashMap<>();
    private final HeardClips memory;                             // null: clips heard here are forgotten with the session
    private double lastEncodeMs;

    private record AudioPos(Turn.Speech speech, int index) {
        @Override
        public boolean equals(Object o) { return o instanceof AudioPos a && a.speech == speech && a.index == index; }

        @Override
        public int hashCode() { return System.identityHashCode(speech) * 31 + index; }
    }

    /** @param memory what the conversation's clips were heard as across its sessions (null: none; used only for its own hearing) */
    SpeechSession(SpeechLlm model, Hearing hearing, HeardClips memory) {
        this.model = model;
        this.hearing = hearing;
        this.memory = memory != null && memory.hearing().equals(hearing) ? memory : null;
        this.llm = model.llm().newSession();
    }

    public List<Turn> history() { return Collections.unmodifiableList(history); }

    public int position() { return llm.position(); }

    /** Adds a turn (user or assistant) to the history without running the model. */
    public void add(Turn turn) { history.add(turn); }

    /** Adds the user turn and feeds the conversation up to the assistant's reply; logits [V] of the next token. */
    public Tensor prefill(Turn user) {
        history.add(user);
        return feedPrompt(model.prompt().build(history, true));
    }

    /** Feeds one generated token; logits [V] of the next (the step API under {@link #respond}). */
    public Tensor step(int token) {
        Tensor logits = llm.step(token);
        fed.add(token);
        return logits;
    }

    /** Logits [V] after feeding the given prompt (the conversation as a whole), its clips heard first. */
    Tensor feedPrompt(List<PromptBuilder.Item> items) {
        long t0 = System.nanoTime();
        try (var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            for (PromptBuilder.Item it : items) {
                if (it instanceof PromptBuilder.Slot s && !heard.containsKey(s.speech())) heard.put(s.speech(), owned(hear(s.speech())));
            }
            lastEncodeMs = (System.nanoTime() - t0) / 1e6;
            return feed(items);
        }
    }

    /** A clip as the session hears it: recalled when the conversation heard it before (or ahead), else heard now and remembered. */
    private Hearing.Heard hear(Turn.Speech clip) {
        if (memory == null) return model.hear(clip.clip(), hearing);
        return memory.recallOrHear(clip, () -> model.hear(clip.clip(), hearing));
    }

    private static Hearing.Heard owned(Hearing.Heard h) {
        return h instanceof Hearing.Embeddings e ? new Hearing.Embeddings(Torch.own(e.embeddings())) : h;
    }

    /** What fills a prompt position: a token id, or position {@code index} of a clip heard as embeddings. */
    private List<Object> keys(List<PromptBuilder.Item> items) {
        List<Object> keys = new ArrayList<>();
        for (PromptBuilder.Item it : items) {
            switch (it) {
                case PromptBuilder.Tokens t -> { for (int id : t.ids()) keys.add(id); }
                case PromptBuilder.Slot s -> {
                    switch (heard.get(s.speech())) {
                        case Hearing.Tokens t -> { for (int id : t.ids()) keys.add(id); }
                        case Hearing.Embeddings e -> { for (int j = 0; j < e.embeddings().size(0); j++) keys.add(new AudioPos(s.speech(), j)); }
                    }
                }
            }
        }
        return keys;
    }

    /** Feeds what the cache does not hold yet of a prompt whose clips are heard; logits [V] of the next token. */
    private Tensor feed(List<PromptBuilder.Item> items) {
        List<Object> keys = keys(items);
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
                Object fill = it instanceof PromptBuilder.Slot s ? heard.get(s.speech()) : it;
                switch (fill) {
                    case PromptBuilder.Tokens t -> pos = addTokens(pieces, t.ids(), pos, from);
                    case Hearing.Tokens t -> pos = addTokens(pieces, t.ids(), pos, from);
                    case Hearing.Embeddings e -> {
                        int n = (int) e.embeddings().size(0), a = Math.max(from - pos, 0);
                        if (a < n) pieces.add(e.embeddings().narrow(0, a, n - a));        // [n - a, D]
                        pos += n;
                    }
                    default -> throw new IllegalStateException("unexpected prompt item " + fill);
                }
            }
            Tensor x = torch.cat(new TensorVector(pieces.toArray(Tensor[]::new)), 0); // [T_new, D]
            Tensor logits = llm.prefill(x);
            fed.addAll(keys.subList(from, keys.size()));
            return logits;
        });
    }

    /** Adds the embeddings of the tokens at positions ≥ {@code from}; the position after them. */
    private int addTokens(List<Tensor> pieces, int[] ids, int pos, int from) {
        int a = Math.max(from - pos, 0);
        if (a < ids.length) pieces.add(model.llm().embed(Torch.fromInts(Arrays.copyOfRange(ids, a, ids.length)))); // [n - a, D]
        return pos + ids.length;
    }

    /**
     * Answers a user turn, streaming {@link Event}s to {@code sink}: the text as it is generated, then
     * {@link Event.Done}. The answer joins the history.
     */
    public Event.Done respond(Turn user, SamplingOptions options, Consumer<Event> sink) {
        return respond(user, options, (SpeechHead) null, sink);
    }

    /**
     * As above, the answer's tokens decoded by {@code loop}: a server's shared loop decodes many sessions'
     * answers in one batch ({@link dev.auris.sample.ContinuousBatch}); the tokens are those decoded alone.
     */
    public Event.Done respond(Turn user, SamplingOptions options, DecodeLoop loop, Consumer<Event> sink) {
        return respond(user, options, null, loop, sink);
    }

    /**
     * As above, and with a speech head (may be null) the answer is spoken as it is written, LLaMA-Omni's way:
     * the final hidden state that predicted each answer token (the prompt's last one, then each fed token's,
     * the one that predicted the stop token included — {@code generation.py}) goes through the speech decoder
     * as it comes, and {@link Event.Units} and {@link Event.AudioChunk}s (every Ω units) interleave with the
     * text deltas; {@link Event.Done} adds first-audio ms and the vocoder's real-time factor.
     */
    public Event.Done respond(Turn user, SamplingOptions options, SpeechHead speech, Consumer<Event> sink) {
        return respond(user, options, speech, DecodeLoop.ALONE, sink);
    }

    /**
     * Spoken (with a head) and decoded by {@code loop}: in a batch, the session's row's hidden state after each
     * step is what its speech decoder reads, so the speech decoder and vocoder run where the loop runs.
     */
    public Event.Done respond(Turn user, SamplingOptions options, SpeechHead speech, DecodeLoop loop, Consumer<Event> sink) {
        long t0 = System.nanoTime();
        long[] firstAudio = {0};
        llm.keepHidden(speech != null);
        try (PointerScope scope = new PointerScope(); var guard = new org.bytedeco.pytorch.NoGradGuard();
             SpeechStream voice = speech == null ? null : speech.stream()) {
            Consumer<SpeechStream.Step> emit = step -> {
                if (step.units().length > 0) sink.accept(new Event.Units(step.units()));
                if (step.audio().length > 0) {
                    if (firstAudio[0] == 0) firstAudio[0] = System.nanoTime() - t0;
                    sink.accept(new Event.AudioChunk(step.audio(), voice.sampleRate()));
                }
            };
            Tensor logits = prefill(user);
            int before = llm.position();
            Generator.Result r = loop.run(llm, logits, new Decoding(model.text().tokenizer(), options, model.text().eosIds(), llm.tokens(),
                    d -> sink.accept(new Event.TextDelta(d)), voice == null ? null : token -> {
                        try (PointerScope step = new PointerScope()) {
                            Tensor h = llm.lastHidden();                                  // [T, D] of the last prefill / step
                            emit.accept(voice.push(h.narrow(0, h.size(0) - 1, 1)));       // [1, D]: the state that predicted this token
                        }
                    }));
            if (voice != null) emit.accept(voice.finish());
            int fedTokens = llm.position() - before;
            for (int i = 0; i < fedTokens; i++) fed.add(r.tokens()[i]);
            history.add(Turn.assistant(r.text()));
            double first = (System.nanoTime() - t0) / 1e6 - (r.totalNanos() - r.firstTokenNanos()) / 1e6;
            Event.Done done = new Event.Done(r.text(), r.tokens().length, r.stop(), lastEncodeMs, first, r.tokensPerSecond(),
                    firstAudio[0] == 0 ? Double.NaN : firstAudio[0] / 1e6, voice == null ? Double.NaN : voice.realTimeFactor());
            sink.accept(done);
            return done;
        } finally {
            llm.keepHidden(false);
        }
    }

    /** Starts the conversation over (history, cache and encoded clips are dropped). */
    public void reset() {
        llm.reset();
        fed.clear();
        history.clear();
        closeHeard();
    }

    @Override
    public void close() {
        llm.close();
        closeHeard();
    }

    private void closeHeard() {
        heard.values().forEach(h -> { if (h instanceof Hearing.Embeddings e) e.embeddings().close(); });
        heard.clear();
    }
}
