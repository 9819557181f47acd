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
 * A decode step of one sequence (B = 1, T = 1) without libtorch between the layers: the residual stream stays one
 * float32 vector, the products run the native kernels on it ({@link DecodeProducts}), and the norms, RoPE, the KV
 * cache write, attention and SwiGLU are a few native calls a layer ({@link DecodeGlue}) instead of ≈ 45 libtorch ops.
 * Taken where every linear layer is int8, int4 or bf16 for the native kernels, no adapter is attached, and the KV
 * cache is float32 (attention runs in float32: any CPU without AMX, or a float32 model); {@code -Dauris.fused=false}
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

    /**
     * The decoder stack on one position x [1, 1, D] at {@code start}, its keys and values written into {@code cache}:
     * the residual stream after the last layer [1, 1, D] in {@code type} (before the final norm).
     */
    Tensor forward(Tensor x, long start, KvCache cache, torch.ScalarType type) {
        int d = config.hiddenSize(), h = config.numHeads(), kv = config.numKvHeads(), hd = config.headDim(), f = config.intermediateSize();
        int s = Math.toIntExact(start + 1), threads = Torch.configuredThreads();
        float eps = (float) config.rmsNormEps();
        try (Arena step = Arena.ofConfined()) {
            MemorySegment hs = step.allocate(4L * d, 64), xn = step.allocate(4L * d, 64), q = step.allocate(4L * h * hd, 64),
                    k = step.allocate(4L * kv * hd, 64), v = step.allocate(4L * kv * hd, 64), att = step.allocate(4L * h * hd, 64),
                    o = step.allocate(4L * d, 64), g = step.allocate(4L * f, 64), u = step.allocate(4L * f, 64),
                    scores = step.allocate(4L * h * s, 64), cos = step.allocate(2L * hd, 64), sin = step.allocate(2L * hd, 64);
            MemorySegment.copy(DecodeGlue.segment(x.to(torch.ScalarType.Float).contiguous()), 0, hs, 0, 4L * d);   // [D]
            float[] c = new float[hd / 2], sn = new float[hd / 2];
            rope.halves(start, c, sn);
            MemorySegment.copy(c, 0, cos, ValueLayout.JAVA_FLOAT, 0, c.length);
            MemorySegment.copy(sn, 0, sin, ValueLayout.JAVA_FLOAT, 0, sn.length);
            MemorySegment delta = MemorySegment.NULL;                      // the last MLP's output, added in the next norm
            for (int i = 0; i < layers.size(); i++) {
                Llm.Layer l = layers.get(i);
                Floats w = floats[i];
                DecodeGlue.addRmsNorm(hs, delta, 1, d, w.inNorm(), eps, xn);
                var in = new DecodeProducts.Input(xn, d, step);
                DecodeProducts.apply(l.qProj(), in, q, w.qBias());         // [H, hd]
                DecodeProducts.apply(l.kProj(), in, k, w.kBias());         // [KV, hd]
                DecodeProducts.apply(l.vProj(), in, v, w.vBias());         // [KV, hd]
                if (!MemorySegment.NULL.equals(w.qNorm())) {               // Qwen3: RMSNorm over each head before RoPE
                    DecodeGlue.addRmsNorm(q, MemorySegment.NULL, h, hd, w.qNorm(), eps, q);
                    DecodeGlue.addRmsNorm(k, MemorySegment.NULL, kv, hd, w.kNorm(), eps, k);
                }
                DecodeGlue.rope(q, h, hd, cos, sin);
                DecodeGlue.rope(k, kv, hd, cos, sin);
                Tensor[] buf = cache.reserve(i, start, s, 1, kv, hd, torch.ScalarType.Float); // [1, KV, C, hd]
                long capacity = buf[0].size(2);
                MemorySegment kb = DecodeGlue.segment(buf[0]), vb = DecodeGlue.segment(buf[1]);
                for (int j = 0; j < kv; j++) {                             // this position's row of each kv head
                    long at = 4L * ((j * capacity + start) * hd);
                    MemorySegment.copy(k, 4L * j * hd, kb, at, 4L * hd);
                    MemorySegment.copy(v, 4L * j * hd, vb, at, 4L * hd);
                }
                DecodeGlue.attend(bare(q), h, bare(kb), bare(vb), kv, s, capacity * hd, hd, bare(att), bare(scores), threads); // [H, hd]
                DecodeProducts.apply(l.oProj(), new DecodeProducts.Input(att, h * hd, step), o, w.oBias()); // [D]
                DecodeGlue.addRmsNorm(hs, o, 1, d, w.postNorm(), eps, xn);
                var mid = new DecodeProducts.Input(xn, d, step);
                DecodeProducts.apply(l.gateProj(), mid, g, w.gateBias());  // [F]
                DecodeProducts.apply(l.upProj(), mid, u, w.upBias());      // [F]
                DecodeGlue.siluMul(g, u, g, f);
                DecodeProducts.apply(l.downProj(), new DecodeProducts.Input(g, f, step), o, w.downBias()); // [D]
                delta = o;
            }
            DecodeGlue.add(hs, o, d);
            cache.filled(s);
            float[] out = new float[d];
            MemorySegment.copy(hs, ValueLayout.JAVA_FLOAT, 0, out, 0, d);
            Tensor r = Torch.fromFloats(out, 1, 1, d);                     // [1, 1, D]
            return type == torch.ScalarType.Float ? r : r.to(type);
        }
    }

    private static MemorySegment bare(MemorySegment s) {
        return MemorySegment.ofAddress(s.address());
    }

    @Override
    public void close() {
        arena.close();
    }
}
