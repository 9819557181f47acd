package dev.auris.llm;

import dev.auris.core.Torch;
import dev.auris.nn.Attention;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sequences at different positions decoding together: every {@link #step} feeds one new token to each row in
 * one batched forward (continuous batching, as vLLM / Orca schedule it: a sequence joins after its own
 * prefill and leaves when its answer ends, while the others go on). A dispatch-bound small LLM runs B rows in
 * little more than the time of one.
 *
 * <p>The KV cache is padded: per layer buffers [R, KV, C, hd], row r holding its positions 0..len[r]-1. A step
 * writes each row's new key and value at that row's own position (one scatter), rotates q and k by each row's
 * position, and masks each row's keys past its length, so a row computes what its own {@link Session} would,
 * up to batched-matmul round-off. Rows stay packed in 0..n-1: a row that leaves is replaced by the last one.
 * A joining session's cache is copied in; a leaving row's new positions are copied back into its session,
 * which goes on from there (the next turn of a conversation); a session that keeps its hidden state (a spoken
 * answer's) gets its row's after every step. Not thread-safe: one decode loop owns it.
 *
 * <p>Shapes: n live rows, R row capacity, C position capacity, S positions attended this step (the longest
 * row + 1), D hidden, H heads, KV key/value heads, hd head_dim.
 */
public final class DecodeBatch implements AutoCloseable {
    /** A sequence in the batch; its index changes as other rows leave. */
    public static final class Row {
        private final Session session;
        private final int joinedAt;           // the session's position when it joined
        private final List<Integer> fed = new ArrayList<>();
        private int index, length;

        private Row(Session session, int index) {
            this.session = session;
            this.index = index;
            this.joinedAt = this.length = session.position();
        }

        public Session session() { return session; }

        /** Positions this row holds (its session's position plus the tokens fed here). */
        public int position() { return length; }

        public int index() { return index; }
    }

    private final Llm llm;
    private final int layers;
    private final Tensor[] keys, values; // [R, KV, C, hd] per layer
    private final List<Row> rows = new ArrayList<>();

    public DecodeBatch(Llm llm) {
        this.llm = llm;
        this.layers = llm.config().numLayers();
        this.keys = new Tensor[layers];
        this.values = new Tensor[layers];
    }

    public int size() { return rows.size(); }

    public List<Row> rows() { return List.copyOf(rows); }

    /** Adds a prefilled session as the last row (its cache copied in). */
    public Row join(Session s) {
        if (s.llm() != llm) throw new IllegalArgumentException("the session belongs to another model");
        if (s.position() == 0) throw new IllegalArgumentException("a session joins the batch after its prompt is prefilled");
        Row r = new Row(s, rows.size());
        ensure(rows.size() + 1, s.position() + 1);
        try (PointerScope scope = new PointerScope()) {
            for (int l = 0; l < layers; l++) {
                Tensor[] kv = s.cache().view(l);                                          // [1, KV, P, hd]
                keys[l].narrow(0, r.index, 1).narrow(2, 0, s.position()).copy_(kv[0]);
                values[l].narrow(0, r.index, 1).narrow(2, 0, s.position()).copy_(kv[1]);
            }
        }
        rows.add(r);
        return r;
    }

    /**
     * Takes the row out. With {@code keep}, its session receives the positions fed here (cache and tokens) and
     * continues from the end of the answer; without (the session is about to close), nothing is copied.
     */
    public void leave(Row r, boolean keep) {
        if (rows.get(r.index) != r) throw new IllegalArgumentException("the row is not in this batch");
        int last = rows.size() - 1;
        try (PointerScope scope = new PointerScope()) {
            if (keep && r.length > r.joinedAt) {
                Tensor[] k = new Tensor[layers], v = new Tensor[layers];
                for (int l = 0; l < layers; l++) {
                    k[l] = keys[l].narrow(0, r.index, 1).narrow(2, r.joinedAt, r.length - r.joinedAt);   // [1, KV, new, hd]
                    v[l] = values[l].narrow(0, r.index, 1).narrow(2, r.joinedAt, r.length - r.joinedAt);
                }
                r.session.adopt(k, v, r.fed.stream().mapToInt(Integer::intValue).toArray());
            }
            if (r.index != last) { // the last row moves into the gap
                Row m = rows.get(last);
                for (int l = 0; l < layers; l++) {
                    keys[l].narrow(0, r.index, 1).narrow(2, 0, m.length).copy_(keys[l].narrow(0, last, 1).narrow(2, 0, m.length));
                    values[l].narrow(0, r.index, 1).narrow(2, 0, m.length).copy_(values[l].narrow(0, last, 1).narrow(2, 0, m.length));
                }
                m.index = r.index;
                rows.set(r.index, m);
            }
        }
        rows.remove(last);
        r.index = -1;
        if (rows.isEmpty()) close(); // the padded buffers are as wide as the longest row ever was: give them back when idle
    }

    /**
     * Feeds {@code tokens[i]} to row i at its own position; the final-normed hidden states [n, D] (the LM
     * head's input), in the caller's pointer scope. Rows past the model's context must leave first.
     */
    public Tensor step(int[] tokens) {
        int n = rows.size();
        if (tokens.length != n) throw new IllegalArgumentException("one token per row: " + n + " rows, " + tokens.length + " tokens");
        if (n == 0) throw new IllegalArgumentException("the batch is empty");
        long[] pos = new long[n];
        int s = 0, max = llm.config().maxPositionEmbeddings();
        for (Row r : rows) {
            if (r.length >= max) throw new IllegalArgumentException("row " + r.index + " is at the end of the model's context (" + max + " positions)");
            pos[r.index] = r.length;
            s = Math.max(s, r.length + 1);
        }
        ensure(n, s);
        final int width = s;
        Tensor h = Torch.scoped(() -> forward(tokens, pos, width));
        for (Row r : rows) {
            r.fed.add(tokens[r.index]);
            r.length++;
            try (PointerScope scope = new PointerScope()) {
                r.session.keep(h.narrow(0, r.index, 1));                                          // [1, D]: its speech decoder's input
            }
        }
        return h;
    }

    private Tensor forward(int[] tokens, long[] pos, int s) {
        LlmConfig c = llm.config();
        int n = tokens.length, nh = c.numHeads(), kvh = c.numKvHeads(), hd = c.headDim();
        var type = Torch.scalarType(llm.dtype());
        Tensor h = llm.embed(Torch.fromInts(tokens).view(n, 1)).to(type);                       // [n, 1, D]
        Tensor[] cs = llm.rope().cosSinAt(pos);                                                  // [n, hd] each
        Tensor cos = cs[0].to(type).view(n, 1, 1, hd), sin = cs[1].to(type).view(n, 1, 1, hd);   // broadcast over heads
        Tensor p = Torch.fromLongs(pos, n, 1);                                                   // [n, 1]
        Tensor kpos = torch.arange(Torch.scalar(0), Torch.scalar(s), new TensorOptions(torch.ScalarType.Long)).view(1, s);
        Tensor mask = kpos.le(p).view(n, 1, 1, s);                                               // [n, 1, 1, S]: key j ≤ row's position
        Tensor at = p.view(n, 1, 1, 1).expand(new long[]{n, kvh, 1, hd});                        // [n, KV, 1, hd] scatter index
        for (int i = 0; i < layers; i++) {
            Llm.Layer l = llm.layers().get(i);
            Tensor x = llm.rmsNorm(h, l.inputLayernorm());
            Tensor q = l.qProj().apply(x).view(n, 1, nh, hd);                                   // [n, 1, H, hd]
            Tensor k = l.kProj().apply(x).view(n, 1, kvh, hd);                                  // [n, 1, KV, hd]
            Tensor v = l.vProj().apply(x).view(n, 1, kvh, hd).transpose(1, 2);                 // [n, KV, 1, hd]
            if (l.qNorm() != null) {
                q = llm.rmsNorm(q, l.qNorm());
                k = llm.rmsNorm(k, l.kNorm());
            }
            q = Rope.apply(q.transpose(1, 2), cos, sin);                                        // [n, H, 1, hd]
            k = Rope.apply(k.transpose(1, 2), cos, sin);                                        // [n, KV, 1, hd]
            Tensor kb = keys[i].narrow(0, 0, n), vb = values[i].narrow(0, 0, n);                // [n, KV, C, hd]
            kb.scatter_(2, at, k);
            vb.scatter_(2, at, v);
            Tensor o = Attention.attend(q, kb.narrow(2, 0, s), vb.narrow(2, 0, s), mask, true); // [n, H, 1, hd]
            h = h.add(l.oProj().apply(o.transpose(1, 2).reshape(n, 1, (long) nh * hd)));      // [n, 1, D]
            Tensor m = llm.rmsNorm(h, l.postAttentionLayernorm());
            h = h.add(l.downProj().apply(torch.silu(l.gateProj().apply(m)).mul(l.upProj().apply(m))));
        }
        return llm.rmsNorm(h, llm.finalNorm()).view(n, c.hiddenSize());                        // [n, D]
    }

    /** Grows the buffers (doubling) to hold {@code n} rows of {@code positions} positions; contents kept. */
    private void ensure(int n, int positions) {
        Tensor k0 = keys[0];
        long r = k0 == null ? 0 : k0.size(0), cap = k0 == null ? 0 : k0.size(2);
        if (r >= n && cap >= positions) return;
        long nr = r >= n ? r : Math.max(n, Math.max(4, r * 2));
        long nc = cap >= positions ? cap : Math.max(positions, Math.max(64, cap * 2));
        LlmConfig c = llm.config();
        try (PointerScope scope = new PointerScope()) {
            for (int l = 0; l < layers; l++) {
                keys[l] = grow(keys[l], nr, c.numKvHeads(), nc, c.headDim());
                values[l] = grow(values[l], nr, c.numKvHeads(), nc, c.headDim());
            }
        }
    }

    private Tensor grow(Tensor old, long rows, long kvh, long cap, long hd) {
        Tensor t = Torch.own(torch.zeros(new long[]{rows, kvh, cap, hd}, Torch.options(llm.dtype())));
        if (old != null) {
            long live = this.rows.size();
            if (live > 0) t.narrow(0, 0, live).narrow(2, 0, old.size(2)).copy_(old.narrow(0, 0, live));
            old.close();
        }
        return t;
    }

    @Override
    public void close() {
        for (int l = 0; l < layers; l++) {
            if (keys[l] != null) keys[l].close();
            if (values[l] != null) values[l].close();
            keys[l] = values[l] = null;
        }
        rows.clear();
    }

    @Override
    public String toString() { return "DecodeBatch" + Arrays.toString(rows.stream().mapToInt(Row::position).toArray()); }
}
