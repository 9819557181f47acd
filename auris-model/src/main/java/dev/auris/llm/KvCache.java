package dev.auris.llm;

import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Keys and values of every layer for one sequence: buffers [B, KV, capacity, hd] that grow by doubling, in the
 * dtype attention computes in ({@link dev.auris.nn.Attention#cacheType}: float32 for a bf16 model on a CPU without
 * AMX, so a decode step casts its one new position, not the whole cache of every layer);
 * {@link #append} writes the new positions in place and returns views of everything so far. The cache
 * owns its buffers (outside any scope) and frees them on {@link #close()}.
 */
public final class KvCache implements AutoCloseable {
    private final Tensor[] keys, values;
    private int length;

    public KvCache(int layers) {
        keys = new Tensor[layers];
        values = new Tensor[layers];
    }

    public int length() { return length; }

    /** Sequences the buffers hold (B), 0 before the first write. */
    int rows() { return keys.length == 0 || keys[0] == null ? 0 : (int) keys[0].size(0); }

    /** Stores k, v [B, KV, T, hd] of {@code layer} at positions start..start+T-1; returns [B, KV, start+T, hd] views. */
    public Tensor[] append(int layer, long start, Tensor k, Tensor v) {
        long t = k.size(2), need = start + t;
        Tensor[] kv = reserve(layer, start, need, k.size(0), k.size(1), k.size(3), dev.auris.nn.Attention.cacheType(k.scalar_type()));
        kv[0].narrow(2, start, t).copy_(k);
        kv[1].narrow(2, start, t).copy_(v);
        if (layer == keys.length - 1) length = (int) need;
        return new Tensor[]{kv[0].narrow(2, 0, need), kv[1].narrow(2, 0, need)};
    }

    /**
     * {@code layer}'s whole buffers [B, KV, capacity, hd] of {@code type}, grown (by doubling, keeping positions
     * before {@code start}) to hold {@code need} positions: where {@link #append} writes, and a fused decode step
     * writes its position itself ({@link #filled} then says how far the cache goes).
     */
    Tensor[] reserve(int layer, long start, long need, long b, long kv, long hd, org.bytedeco.pytorch.global.torch.ScalarType type) {
        Tensor kb = keys[layer], vb = values[layer];
        if (kb == null || kb.size(2) < need) {
            long cap = Math.max(need, kb == null ? Math.max(64, need) : kb.size(2) * 2);
            var options = new org.bytedeco.pytorch.TensorOptions(type);
            Tensor nk = Torch.own(torch.zeros(new long[]{b, kv, cap, hd}, options));
            Tensor nv = Torch.own(torch.zeros(new long[]{b, kv, cap, hd}, options));
            if (kb != null && start > 0) {
                nk.narrow(2, 0, start).copy_(kb.narrow(2, 0, start));
                nv.narrow(2, 0, start).copy_(vb.narrow(2, 0, start));
            }
            if (kb != null) {
                kb.close();
                vb.close();
            }
            keys[layer] = kb = nk;
            values[layer] = vb = nv;
        }
        return new Tensor[]{kb, vb};
    }

    /** After a fused step wrote position {@code need − 1} of every layer: the cache now holds {@code need} positions. */
    void filled(int need) {
        length = need;
    }

    /**
     * Keeps the batch rows {@code rows} (in that order, repeats allowed) of every layer: a beam search's step, where
     * the surviving hypotheses continue their parents' rows. Capacity and length are kept.
     */
    public void reorder(int[] rows) {
        if (rows.length == 0) throw new IllegalArgumentException("a cache keeps at least one row");
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] == null) continue;
            long b = keys[l].size(0);
            for (int r : rows) if (r < 0 || r >= b) throw new IllegalArgumentException("row " + r + " is outside the cache's " + b + " rows");
            try (var scope = new org.bytedeco.javacpp.PointerScope()) {
                Tensor idx = Torch.fromInts(rows);                                             // [B']
                Tensor nk = Torch.own(keys[l].index_select(0, idx)), nv = Torch.own(values[l].index_select(0, idx)); // [B', KV, C, hd]
                keys[l].close();
                values[l].close();
                keys[l] = nk;
                values[l] = nv;
            }
        }
    }

    /** Views [B, KV, length, hd] of {@code layer}'s keys and values (a batch copies a session's cache in). */
    Tensor[] view(int layer) {
        return new Tensor[]{keys[layer].narrow(2, 0, length), values[layer].narrow(2, 0, length)};
    }

    /** Forgets positions from {@code position} on (the buffers stay allocated). */
    public void truncate(int position) {
        if (position < 0 || position > length) throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to " + position);
        length = position;
    }

    @Override
    public void close() {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) keys[i].close();
            if (values[i] != null) values[i].close();
            keys[i] = values[i] = null;
        }
        length = 0;
    }
}
