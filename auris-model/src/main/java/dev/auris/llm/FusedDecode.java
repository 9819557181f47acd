package dev.auris.llm;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.nn.Attention;
import dev.auris.nn.DecodeGlue;
import dev.auris.nn.DecodeProducts;
import dev.auris.nn.Linear;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A decode step (T = 1) of one sequence or of a beam's hypotheses (B ≤ 8 rows at one position) without libtorch
 * between the layers: the residual stream stays float32 vectors, the products run the native kernels on it ({@link DecodeProducts}), and the norms, RoPE, the KV
 * cache write, attention and SwiGLU are a few native calls a layer ({@link DecodeGlue}) instead of ≈ 45 libtorch ops.
 * Taken where every linear layer is int8, int4, bf16 or float32 for the native kernels, no adapter is attached, no
 * weight takes part in autograd, and the KV cache is float32 (attention runs in float32: any CPU without AMX, or a float32 model); {@code -Dauris.fused=false}
 * runs the layer-by-layer libtorch path instead.
 *
 * <p>Numerics: the float32 math of the libtorch path for a float32 model (summation order aside). For a bf16 model the
 * residual stream, the norms' outputs and RoPE stay float32 where libtorch rounds each to bf16, so the fused step is
 * the more precise of the two (the products' inputs are rounded to bf16 as before).
 *
 * <p>Shapes: D hidden, H heads, KV key/value heads, hd head_dim, F ffn width, S positions after this one's.
 */
final class FusedDecode implements AutoCloseable {
    static final boolean ON = !"false".equals(System.getProperty("auris.fused"));

    /** A layer's float32 norm weights and biases, at native addresses (NULL where the model has none). */
    private record Floats(MemorySegment inNorm, MemorySegment postNorm, MemorySegment qNorm, MemorySegment kNorm,
                          MemorySegment qBias, MemorySegment kBias, MemorySegment vBias, MemorySegment oBias,
                          MemorySegment gateBias, MemorySegment upBias, MemorySegment downBias) {}

    private final LlmConfig config;
    private final Rope rope;
    private final List<Llm.Layer> layers;
    private final Floats[] floats;
    private final Arena arena;

    private FusedDecode(LlmConfig config, Rope rope, List<Llm.Layer> layers, Floats[] floats, Arena arena) {
        this.config = config;
        this.rope = rope;
        this.layers = layers;
        this.floats = floats;
        this.arena = arena;
    }

    /** The fused step for these layers, or null where it does not apply (see the class comment). */
    static FusedDecode plan(LlmConfig c, DType dtype, Rope rope, List<Llm.Layer> layers) {
        if (!ON || layers.isEmpty() || !DecodeGlue.available() || !(dtype == DType.F32 || dtype == DType.BF16)
                || Attention.cacheType(Torch.scalarType(dtype)) != torch.ScalarType.Float || c.headDim() % 2 != 0) return null;
        for (Llm.Layer l : layers) {
            for (Linear x : linears(l)) if (!DecodeProducts.takes(x)) return null;
        }
        Arena arena = Arena.ofShared();
        try {
            Floats[] f = new Floats[layers.size()];
            for (int i = 0; i < f.length; i++) {
                Llm.Layer l = layers.get(i);
                f[i] = new Floats(floats(l.inputLayernorm(), arena), floats(l.postAttentionLayernorm(), arena), floats(l.qNorm(), arena),
                        floats(l.kNorm(), arena), floats(l.qProj().bias(), arena), floats(l.kProj().bias(), arena), floats(l.vProj().bias(), arena),
                        floats(l.oProj().bias(), arena), floats(l.gateProj().bias(), arena), floats(l.upProj().bias(), arena),
                        floats(l.downProj().bias(), arena));
            }
            return new FusedDecode(c, rope, List.copyOf(layers), f, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static List<Linear> linears(Llm.Layer l) {
        return List.of(l.qProj(), l.kProj(), l.vProj(), l.oProj(), l.gateProj(), l.upProj(), l.downProj());
    }

    private static MemorySegment floats(Tensor t, Arena arena) {
        if (t == null) return MemorySegment.NULL;
        float[] v = Torch.toFloats(t.to(torch.ScalarType.Float).contiguous());
        return arena.allocateFrom(ValueLayout.JAVA_FLOAT, v);
    }

    /** Whether no weight takes part in autograd now (a trainer may switch a loaded model's weights to requires_grad). */
    boolean frozen() {
        return !(layers.get(0).qProj().weights() instanceof dev.auris.nn.Weights.Dense(Tensor w)) || !w.requires_grad();
    }

    /**
     * The decoder stack on B rows at one position x [B, 1, D] (one sequence, or a beam's hypotheses: every row at
     * {@code start}), their keys and values written into {@code cache} (B rows, or empty): the residual stream after
     * the last layer [B, 1, D] in {@code type} (before the final norm).
     */
    Tensor forward(Tensor x, long start, KvCache cache, torch.ScalarType type) {
        int b = Math.toIntExact(x.size(0)), d = config.hiddenSize(), h = config.numHeads(), kv = config.numKvHeads(), hd = config.headDim(),
                f = config.intermediateSize(), s = Math.toIntExact(start + 1);
        try (Arena arena = Arena.ofConfined()) {
            Step st = new Step(arena, b, d, h * hd, kv * hd, f, s, hd, start, cache);
            MemorySegment.copy(DecodeGlue.segment(x.to(torch.ScalarType.Float).contiguous()), 0, st.hs, 0, 4L * b * d);   // [B, D]
            float[] c = new float[hd / 2], sn = new float[hd / 2];
            rope.halves(start, c, sn);
            MemorySegment.copy(c, 0, st.cos, ValueLayout.JAVA_FLOAT, 0, c.length);
            MemorySegment.copy(sn, 0, st.sin, ValueLayout.JAVA_FLOAT, 0, sn.length);
            MemorySegment delta = MemorySegment.NULL;                      // the last MLP's output, added in the next norm
            for (int i = 0; i < layers.size(); i++) delta = layer(i, st, delta);
            DecodeGlue.add(st.hs, delta, b * d);
            cache.filled(s);
            float[] out = new float[b * d];
            MemorySegment.copy(st.hs, ValueLayout.JAVA_FLOAT, 0, out, 0, b * d);
            Tensor r = Torch.fromFloats(out, b, 1, d);                     // [B, 1, D]
            return type == torch.ScalarType.Float ? r : r.to(type);
        }
    }

    /**
     * One step's scratch and shapes: the residual stream hs [B, D], the norm's output xn [B, D], q [B, H·hd], k and v
     * [B, KV·hd], attention's output att [B, H·hd], o [B, D], the MLP's g and u [B, F], scores [H, S], RoPE's halves.
     */
    private record Step(Arena arena, int b, int d, int qw, int kw, int f, int s, int hd, long start, KvCache cache, MemorySegment hs, MemorySegment xn,
                        MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment att, MemorySegment o, MemorySegment g, MemorySegment u,
                        MemorySegment scores, MemorySegment cos, MemorySegment sin) {
        Step(Arena a, int b, int d, int qw, int kw, int f, int s, int hd, long start, KvCache cache) {
            this(a, b, d, qw, kw, f, s, hd, start, cache, a.allocate(4L * b * d, 64), a.allocate(4L * b * d, 64), a.allocate(4L * b * qw, 64),
                    a.allocate(4L * b * kw, 64), a.allocate(4L * b * kw, 64), a.allocate(4L * b * qw, 64), a.allocate(4L * b * d, 64),
                    a.allocate(4L * b * f, 64), a.allocate(4L * b * f, 64), a.allocate(4L * (qw / hd) * s, 64), a.allocate(2L * hd, 64), a.allocate(2L * hd, 64));
        }
    }

    /**
     * Layer {@code i} on the step's rows: its attention and MLP, its keys and values written into the cache; the MLP's
     * output (added to the residual stream by the next norm). A method of its own so the JIT compiles it after a few
     * steps (22 calls a step for a 22-layer model), not the whole step's loop after thousands.
     */
    private MemorySegment layer(int i, Step st, MemorySegment delta) {
        Llm.Layer l = layers.get(i);
        Floats w = floats[i];
        int b = st.b, h = config.numHeads(), kv = config.numKvHeads(), hd = st.hd, threads = Torch.configuredThreads();
        float eps = (float) config.rmsNormEps();
        DecodeGlue.addRmsNorm(st.hs, delta, b, st.d, w.inNorm(), eps, st.xn);
        var in = new DecodeProducts.Input(st.xn, b, st.d, st.arena);
        DecodeProducts.apply(l.qProj(), in, st.q, w.qBias());          // [B, H, hd]
        DecodeProducts.apply(l.kProj(), in, st.k, w.kBias());          // [B, KV, hd]
        DecodeProducts.apply(l.vProj(), in, st.v, w.vBias());          // [B, KV, hd]
        if (!MemorySegment.NULL.equals(w.qNorm())) {                   // Qwen3: RMSNorm over each head before RoPE
            DecodeGlue.addRmsNorm(st.q, MemorySegment.NULL, b * h, hd, w.qNorm(), eps, st.q);
            DecodeGlue.addRmsNorm(st.k, MemorySegment.NULL, b * kv, hd, w.kNorm(), eps, st.k);
        }
        DecodeGlue.rope(st.q, b * h, hd, st.cos, st.sin);              // every row at the same position
        DecodeGlue.rope(st.k, b * kv, hd, st.cos, st.sin);
        Tensor[] buf = st.cache.reserve(i, st.start, st.s, b, kv, hd, torch.ScalarType.Float); // [B, KV, C, hd]
        long capacity = buf[0].size(2);
        MemorySegment kb = DecodeGlue.segment(buf[0]), vb = DecodeGlue.segment(buf[1]);
        for (int r = 0; r < b; r++) {
            for (int j = 0; j < kv; j++) {                             // this position's row of each kv head
                long at = 4L * (((long) (r * kv + j) * capacity + st.start) * hd);
                MemorySegment.copy(st.k, 4L * (r * st.kw + j * hd), kb, at, 4L * hd);
                MemorySegment.copy(st.v, 4L * (r * st.kw + j * hd), vb, at, 4L * hd);
            }
            long row = 4L * r * kv * capacity * hd;
            DecodeGlue.attend(at(st.q, 4L * r * st.qw), h, at(kb, row), at(vb, row), kv, st.s, capacity * hd, hd, at(st.att, 4L * r * st.qw), bare(st.scores), threads); // [H, hd]
        }
        DecodeProducts.apply(l.oProj(), new DecodeProducts.Input(st.att, b, st.qw, st.arena), st.o, w.oBias()); // [B, D]
        DecodeGlue.addRmsNorm(st.hs, st.o, b, st.d, w.postNorm(), eps, st.xn);
        var mid = new DecodeProducts.Input(st.xn, b, st.d, st.arena);
        DecodeProducts.apply(l.gateProj(), mid, st.g, w.gateBias());   // [B, F]
        DecodeProducts.apply(l.upProj(), mid, st.u, w.upBias());       // [B, F]
        DecodeGlue.siluMul(st.g, st.u, st.g, b * st.f);
        DecodeProducts.apply(l.downProj(), new DecodeProducts.Input(st.g, b, st.f, st.arena), st.o, w.downBias()); // [B, D]
        return st.o;
    }

    private static MemorySegment at(MemorySegment s, long offset) {
        return MemorySegment.ofAddress(s.address() + offset);
    }

    private static MemorySegment bare(MemorySegment s) {
        return MemorySegment.ofAddress(s.address());
    }

    @Override
    public void close() {
        arena.close();
    }
}
