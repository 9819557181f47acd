package dev.auris.llm;

import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One sequence being decoded by an {@link Llm}: the KV cache, the position, and the tokens fed so far.
 * Not thread-safe; one per conversation. The step API is {@link #prefill(int[])} / {@link #prefill(Tensor)}
 * then {@link #step(int)}; each returns the float32 logits [V] of the last position (in the caller's
 * pointer scope).
 */
public final class Session implements AutoCloseable {
    private final Llm llm;
    private final KvCache cache;
    private static final int EMBEDDED = -1;
    private final List<Integer> fed = new ArrayList<>(); // per position: the token id, or EMBEDDED for an input embedding
    private int position;
    private final int maxPositions;
    private boolean keepHidden;
    private Tensor lastHidden;

    Session(Llm llm) {
        this.llm = llm;
        this.cache = new KvCache(llm.config().numLayers());
        this.maxPositions = llm.config().maxPositionEmbeddings();
    }

    public Llm llm() { return llm; }

    public int position() { return position; }

    /** Token ids fed so far (text positions only; embedding positions are not tokens). */
    public int[] tokens() { return fed.stream().mapToInt(Integer::intValue).filter(id -> id != EMBEDDED).toArray(); }

    /** Keep the final hidden state of the last position (the speech decoder's input). */
    public Session keepHidden(boolean keep) {
        this.keepHidden = keep;
        return this;
    }

    /** The final-normed hidden state [T, D] of the last prefill/step, when {@link #keepHidden} is on. */
    public Tensor lastHidden() { return lastHidden; }

    public Tensor prefill(int[] ids) {
        if (ids.length == 0) throw new IllegalArgumentException("prefill needs at least one token");
        requireRoom(ids.length); // before the [T, D] embedding is allocated: a prompt of 10⁹ tokens is an error, not a native out-of-memory
        int v = llm.config().vocabSize();
        for (int id : ids) {
            if (id < 0 || id >= v) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + v + ")");
        }
        Tensor logits = run(() -> llm.embed(Torch.fromInts(ids).unsqueeze(0)));
        for (int id : ids) fed.add(id);
        return logits;
    }

    /** Feeds input embeddings [T, D] (e.g. text and audio spliced together). */
    public Tensor prefill(Tensor embeddings) {
        if (embeddings.dim() != 2 || embeddings.size(1) != llm.config().hiddenSize()) {
            throw new IllegalArgumentException("embeddings must be [T, " + llm.config().hiddenSize() + "], got " + Arrays.toString(Torch.shape(embeddings)));
        }
        Tensor logits = run(() -> embeddings.unsqueeze(0));
        for (long i = 0; i < embeddings.size(0); i++) fed.add(EMBEDDED);
        return logits;
    }

    public Tensor step(int id) {
        return prefill(new int[]{id});
    }

    private Tensor run(java.util.function.Supplier<Tensor> input) {
        return Torch.scoped(() -> {
            Tensor x = input.get();                       // [1, T, D]
            long t = x.size(1);
            requireRoom(t);
            Tensor h = llm.forward(x, position, cache, null, null); // [1, T, D]
            position += (int) t;
            keep(h.select(0, 0));
            return llm.logits(h.select(0, 0).select(0, t - 1)); // [V]
        });
    }

    private void requireRoom(long t) {
        if (position + t > maxPositions) {
            throw new IllegalArgumentException("input of " + t + " positions after " + position + " in context exceeds the model's context of "
                    + maxPositions + " positions (max_position_embeddings): shorten the prompt or start a new session");
        }
    }

    KvCache cache() { return cache; }

    /** Keeps {@code h} [T, D] as {@link #lastHidden} (float32, owned) when asked to; also a batch's step for its row. */
    void keep(Tensor h) {
        if (!keepHidden) return;
        if (lastHidden != null) lastHidden.close();
        lastHidden = Torch.own(h.to(org.bytedeco.pytorch.global.torch.ScalarType.Float).clone());
    }

    /**
     * Takes positions decoded elsewhere ({@link DecodeBatch}): keys and values [1, KV, n, hd] per layer of the
     * tokens {@code ids} [n] that followed this session's position; the session goes on after them.
     */
    void adopt(Tensor[] keys, Tensor[] values, int[] ids) {
        requireRoom(ids.length);
        for (int l = 0; l < keys.length; l++) cache.append(l, position, keys[l], values[l]);
        position += ids.length;
        for (int id : ids) fed.add(id);
    }

    /** Forgets positions from {@code position} on: the next prefill continues there. */
    public void truncate(int position) {
        if (position < 0 || position > this.position) throw new IllegalArgumentException("cannot truncate a session at " + this.position + " to " + position);
        cache.truncate(Math.min(position, cache.length()));
        this.position = position;
        fed.subList(position, fed.size()).clear();
    }

    /** Forgets everything: the next prefill starts at position 0. */
    public void reset() {
        cache.truncate(0);
        fed.clear();
        position = 0;
    }

    @Override
    public void close() {
        cache.close();
        if (lastHidden != null) lastHidden.close();
    }
}
