package dev.auris.llm;

import dev.auris.core.DType;
import dev.auris.core.Precision;
import dev.auris.core.Torch;
import dev.auris.io.WeightSource;
import dev.auris.testing.Golden;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The fused decode step (one sequence, one position, native calls only) against the layer-by-layer libtorch path on
 * the same weights and the same KV cache contents: both run the same product kernels, so for a float32 model the
 * logits agree to summation order (1e-4); for a bf16 model the libtorch path rounds the residual stream, norms and
 * RoPE to bf16 where the fused step keeps float32 (0.08, the bf16 golden bound; the fused step is the one nearer the
 * float32 goldens, which LlmGoldenTest's greedy steps check). Covers Llama, Qwen2's q/k/v biases and Qwen3's per-head
 * q/k norms, dense bf16, int8 in 32-blocks and int4 weights, and a cache that grows past its first capacity.
 *
 * <p>With AVX512-VNNI the products' inputs are rounded to int8 per 32-block in both paths, and the two norms'
 * float32 results may differ in a last bit that moves one rounding by one step: on the random Qwen3 (q/k norms with
 * unit weights) one such step at position 55 moves the later logits by 1.5 % (with float32 activations the two paths
 * stay within 6e-6 over all 73 steps), and on llama-tiny int8 one step moved them 2.3e-3. So where the activations are
 * rounded, int8 / int4 are held to 5e-2 of the logits' scale, the bound the VNNI tests use for that rounding; the
 * float32 cases hold the shared glue (norms, RoPE, cache, attention, SwiGLU, biases) to 1e-4, and without VNNI the
 * int8 / int4 cases do too.
 */
class FusedDecodeTest {
    @ParameterizedTest
    @CsvSource({"llama-tiny,f32,1e-4", "qwen2-tiny,f32,1e-4", "llama-tiny,int8,1e-4", "llama-tiny,int4,1e-4", "llama-tiny,bf16,0.08", "qwen2-tiny,int8,1e-4", "qwen2-tiny,bf16,0.08",
            "llama3-tiny,int4,1e-4", "qwen3-random,int8,5e-2", "qwen3-random,bf16,0.08", "llama-random,int8,1e-4"})
    void fusedStepsEqualTheLayerByLayerPath(String model, String precision, double bound) {
        bound = flipBound(precision, bound);
        try (var scope = new PointerScope(); Llm llm = load(model, precision); KvCache fused = llm.newCache(); KvCache plain = llm.newCache()) {
            assertTrue(llm.fusesDecode(), model + " " + precision + " should take the fused step: " + llm.weightsDescription());
            int v = llm.config().vocabSize();
            int[] prompt = {1, 5, 9, 13, 2, 7, 11};
            Tensor x = llm.embed(Torch.fromInts(prompt).unsqueeze(0));                      // [1, T, D]
            llm.forward(x, 0, fused, null, null);                                           // a prefill (T > 1): the libtorch path into both caches
            llm.forward(x, 0, plain, null, null);
            double worst = 0, scale = 1;
            int next = 3;
            for (int pos = prompt.length; pos < 80; pos++) {                               // past the cache's first 64 positions: it grows
                Tensor e = llm.embed(Torch.fromInts(new int[]{next}).unsqueeze(0));          // [1, 1, D]
                float[] a = Torch.toFloats(llm.logits(llm.forward(e, pos, fused, null, null)));
                float[] b = Torch.toFloats(llm.logits(llm.forward(e, pos, plain, null, new ArrayList<>()))); // collecting layers: the libtorch path
                assertEquals(v, a.length);
                for (float f : a) assertTrue(Float.isFinite(f), "finite logits");
                worst = Math.max(worst, Golden.maxAbsDiff(b, a));
                for (float f : b) scale = Math.max(scale, Math.abs(f));
                next = (LlmGoldenTest.argmax(b) + pos) % v;
            }
            assertEquals(80, fused.length());
            System.out.printf("fused decode %s %s: max |Δ logits| vs layer by layer %.2e over 73 steps (logits up to %.1f)%n", model, precision, worst, scale);
            assertTrue(worst < bound * scale, "max |Δ logits| " + worst + " ≥ " + bound + " × " + scale);
        }
    }

    /**
     * A beam's step: B = 4 hypotheses at one position, their cache rows reordered between steps as a beam search keeps
     * its survivors' parents (LlmBeam), fused against layer by layer on the same rows.
     */
    @ParameterizedTest
    @CsvSource({"llama-tiny,f32,1e-4", "llama-tiny,int8,1e-4", "qwen2-tiny,int4,1e-4", "llama3-tiny,bf16,0.08"})
    void fusedBeamStepsEqualTheLayerByLayerPath(String model, String precision, double bound) {
        bound = flipBound(precision, bound);
        try (var scope = new PointerScope(); Llm llm = load(model, precision); KvCache fused = llm.newCache(); KvCache plain = llm.newCache()) {
            int v = llm.config().vocabSize(), b = 4;
            int[] prompt = {1, 5, 9, 13, 2, 7, 11};
            Tensor x = llm.embed(Torch.fromInts(prompt).unsqueeze(0));                      // [1, P, D]: the beam's context, once
            llm.forward(x, 0, fused, null, null);
            llm.forward(x, 0, plain, null, null);
            int[] parents = {0, 0, 0, 0}, tokens = {3, 4, 5, 6};
            double worst = 0, scale = 1;
            for (int pos = prompt.length; pos < 40; pos++) {
                fused.reorder(parents);
                plain.reorder(parents);
                Tensor e = llm.embed(Torch.fromInts(tokens).view(b, 1));                     // [B, 1, D]
                float[] a = Torch.toFloats(llm.logits(llm.forward(e, pos, fused, null, null)).contiguous());
                float[] r = Torch.toFloats(llm.logits(llm.forward(e, pos, plain, null, new ArrayList<>())).contiguous());
                worst = Math.max(worst, Golden.maxAbsDiff(r, a));
                for (float f : r) scale = Math.max(scale, Math.abs(f));
                for (int i = 0; i < b; i++) {                                               // survivors: a shuffle of the rows, as beams go
                    parents[i] = (i * 3 + pos) % b;
                    tokens[i] = (LlmGoldenTest.argmax(java.util.Arrays.copyOfRange(r, parents[i] * v, (parents[i] + 1) * v)) + i) % v;
                }
            }
            System.out.printf("fused beam %s %s: max |Δ logits| vs layer by layer %.2e over 33 steps of 4 rows%n", model, precision, worst);
            assertTrue(worst < bound * scale, "max |Δ logits| " + worst + " ≥ " + bound + " × " + scale);
        }
    }

    /**
     * Every step's native scratch (an arena per step) and its tensors are freed. The libraries' malloc'd bytes in use
     * ({@link dev.auris.testing.Fixtures#nativeInUse()}: glibc's less the JVM's own, so C2's arenas drop out) are sampled
     * every 50 fused steps (a session truncated back every 200 positions), 40 times, once the JIT has settled; the
     * median change between samples stays under 16 kB (a leak of 320 bytes a step; a step's scratch is ≥ 10 kB).
     * The median, not the first and last samples: C2 compiling the step takes and returns tens of MB of malloc'd
     * arenas in a few jumps (measured: +5 to +27 MB around step 3200), which a smooth per-step leak is not. A step of
     * llama-tiny takes ≈ 1 ms, so after a fixed 1000 or 6000 steps C2 was often still compiling through the sampled
     * window (the median read +66 to +197 kB in runs of this test alone; with C1 only, +0.4 to +2.8 kB). So the warm-up
     * runs in rounds of 1000 steps until a round passes with no compilation time added (at most 30 rounds).
     */
    @org.junit.jupiter.api.Test
    void fusedStepsFreeTheirNativeMemory() {
        try (var scope = new PointerScope(); Llm llm = load("llama-tiny", "int8"); Session s = llm.newSession()) {
            assertTrue(llm.fusesDecode() || Boolean.getBoolean("auris.probe"));
            s.prefill(new int[]{1, 5, 9, 13, 2, 7, 11});
            int i = 1000 * dev.auris.testing.Fixtures.warmUntilJitSettles(round -> {
                for (int j = 0; j < 1000; j++) leakStep(llm, s, 1000 * round + j);
            }, 30);
            long[] samples = new long[41];
            for (int k = 0; k < 50 * 41; k++, i++) {
                leakStep(llm, s, i);
                if (k % 50 == 0) samples[k / 50] = dev.auris.testing.Fixtures.nativeInUse();
            }
            long median = dev.auris.testing.Fixtures.medianGrowth(samples);
            System.out.printf("fused decode: malloc in use, median change per 50 steps %+d B (over 2000 steps %+d kB; sampled after %d steps)%n",
                    median, (samples[40] - samples[0]) >> 10, i - 50 * 41);
            assertTrue(median < 16 << 10, "native memory grows by " + median + " B every 50 fused steps");
        }
    }

    /** One fused step of the leak test in its own scope, the session truncated back to 8 positions past 200. */
    private static void leakStep(Llm llm, Session s, int i) {
        if (s.position() > 200) s.truncate(8);
        try (var step = new PointerScope()) {
            s.step((i * 7 + 3) % llm.config().vocabSize());
        }
    }

    /** int8 / int4 with VNNI's int8 activations: a last-bit difference may move one rounding step (see the class comment). */
    private static double flipBound(String precision, double bound) {
        return (precision.equals("int8") || precision.equals("int4")) && Int8WeightsTest.quantizedActivations() ? Math.max(bound, 5e-2) : bound;
    }

    private static Llm load(String model, String precision) {
        if (!model.endsWith("-random")) {
            return switch (precision) {
                case "bf16" -> Llm.load(Golden.dir(model), DType.BF16);
                case "f32" -> Llm.load(Golden.dir(model), DType.F32);
                default -> Llm.load(Golden.dir(model), Precision.parse(precision));
            };
        }
        LlmConfig c = new LlmConfig(model.startsWith("qwen3") ? LlmConfig.Family.QWEN3 : LlmConfig.Family.LLAMA, 128, 256, 2, 4, 2, 32, 300, 1e-6, 1e6, null, true, false, 512, 1, List.of(2));
        Precision.Llm p = precision.equals("bf16") ? new Precision.Llm(DType.BF16, dev.auris.core.WeightFormat.DENSE)
                : new Precision.Llm(DType.F32, dev.auris.core.WeightFormat.INT8);
        return Llm.load(c, WeightSource.random(7, 0.08), p);
    }
}
