package dev.auris.cli;

import dev.auris.core.Cpu;
import dev.auris.core.Precision;
import dev.auris.core.Torch;
import dev.auris.encoder.WhisperConfig;
import dev.auris.encoder.WhisperEncoder;
import dev.auris.core.DType;
import dev.auris.io.WeightSource;
import dev.auris.llm.Llm;
import dev.auris.llm.LlmConfig;
import dev.auris.llm.Session;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.*;

/**
 * {@code auris bench --llm llama-1.1b --encoder whisper-base,whisper-small --dtype f32,bf16,int8 --threads 2 [--reference]}:
 * speed of random-weight models of named shapes. Medians of repeated runs; decode also as GB/s of weights
 * streamed (tokens/s × the bytes of every linear layer). With {@code --reference}, the reference kit's
 * llama.cpp / whisper.cpp figures from the same sitting and their ratios (docs/BENCHMARKS.md).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark random-weight models of named shapes: LLM prefill tokens/s (512 tokens) and decode tokens/s",
                "(128 single-token steps from an empty context, as llama-bench's tg128; and after the prompt), Whisper encoder ms for a 30 s window, and a speech model's first answer token after",
                "each bundled clip (--speech, warm). Shapes: " + BenchCommand.SHAPES})
final class BenchCommand implements Runnable {
    static final String SHAPES = "llama-1.1b, llama-tiny; whisper-base, whisper-small, whisper-tiny";

    @Option(names = "--llm", split = ",", defaultValue = "llama-1.1b", description = "LLM shapes (comma-separated, 'none' to skip).")
    List<String> llms;
    @Option(names = "--encoder", split = ",", defaultValue = "whisper-base,whisper-small", description = "Encoder shapes ('none' to skip).")
    List<String> encoders;
    @Option(names = "--dtype", split = ",", defaultValue = "f32,bf16",
            description = "Precisions to run: f32, bf16, f16, auto (what commands pick on this CPU), and LLM weight formats int8 (weight-only,"
                    + " native kernel), int4 (Q4_0 blocks, native kernel), int8-dynamic (fbgemm W8A8), fp16w (fbgemm fp16); these four run the encoder as auto does.")
    List<String> dtypes;
    @Option(names = "--reference", description = "Also run the reference kit's bench.sh (llama.cpp, whisper.cpp) first and print reference/Auris ratios.")
    boolean reference;
    @Option(names = "--pairs", defaultValue = "0",
            description = "With --reference: each LLM row in this many rounds, each llama.cpp's counterpart (llama-bench -r 1) then Auris once, and the median of the"
                    + " rounds' ratios: on a machine whose memory bandwidth drifts, a ratio of two runs minutes apart says more about the drift than the code.")
    int pairs;
    @Option(names = "--refkit", description = "The reference kit's directory (default: AURIS_REFKIT, else the repository's bench/refkit).")
    java.nio.file.Path refkit;
    @Option(names = "--threads", defaultValue = "2")
    int threads;
    @Option(names = "--prompt-tokens", defaultValue = "512")
    int promptTokens;
    @Option(names = "--gen-tokens", defaultValue = "128")
    int genTokens;
    @Option(names = "--repeat", defaultValue = "3", description = "Repetitions; the median is reported.")
    int repeat;
    @Option(names = "--speech", defaultValue = "models/tiny",
            description = "A speech model whose first answer token after each bundled clip (examples/*.wav) is timed, warm ('none' to skip).")
    String speech;
    @Option(names = "--train-layers", defaultValue = "0",
            description = "Also time a training step (forward + backward, 512 tokens) of this many layers of the 1.1B shape, against the GEMM peak.")
    int trainLayers;

    static LlmConfig llmShape(String name) {
        return switch (name) {
            case "llama-1.1b" -> new LlmConfig(LlmConfig.Family.LLAMA, 2048, 8192, 16, 32, 8, 64, 32000, 1e-5, 500000, null, false, false, 4096, 1, List.of(2));
            case "llama-tiny" -> new LlmConfig(LlmConfig.Family.LLAMA, 64, 128, 2, 4, 2, 16, 256, 1e-5, 10000, null, false, false, 4096, 1, List.of(2));
            default -> throw new IllegalArgumentException("unknown LLM shape '" + name + "': " + SHAPES);
        };
    }

    static WhisperConfig encoderShape(String name) {
        return switch (name) {
            case "whisper-tiny" -> new WhisperConfig(384, 4, 6, 1536, 80, 1500, "gelu");
            case "whisper-base" -> new WhisperConfig(512, 6, 8, 2048, 80, 1500, "gelu");
            case "whisper-small" -> new WhisperConfig(768, 12, 12, 3072, 80, 1500, "gelu");
            default -> throw new IllegalArgumentException("unknown encoder shape '" + name + "': " + SHAPES);
        };
    }

    @Override
    public void run() {
        Torch.setThreads(threads);
        boolean paired = reference && pairs > 0;
        List<String> encoderRefs = encoders.stream().filter(e -> !e.equals("none")).toList();   // with pairs, the LLM rows run their own
        Map<String, String[]> ref = !reference ? Map.of() : !paired ? Reference.run(refkit, threads)
                : encoderRefs.isEmpty() ? Map.of() : Reference.run(refkit, threads, encoderRefs, 3);
        System.out.printf(Locale.ROOT, "Auris: %s; threads %d, median of %d; load average %s%n", Cpu.current().describe(), Torch.threads(), repeat, Reference.loadAverage());
        if (!speech.equals("none")) FirstTokenBench.run(Options.resolve(java.nio.file.Path.of(speech)), FirstTokenBench.examples(), Math.max(repeat, 5));
        Set<String> encodersDone = new HashSet<>();
        for (String d : dtypes) {
            Precision precision = Precision.parse(d);
            DType dtype = precision.encoder();
            if (trainLayers > 0) benchTraining(dtype);
            for (String name : llms) {
                if (name.equals("none")) continue;
                LlmConfig c = llmShape(name);
                Precision.Llm p = precision.llm(Llm.parameters(c), false);
                try (Llm llm = Llm.load(c, WeightSource.random(1, 0.02), p)) {
                    warm(name, llm);
                    if (paired && name.equals("llama-1.1b")) interleaved(name, llm, d);
                    else benchLlm(name, llm, d, ref);
                }
            }
            for (String name : encoders) {
                if (name.equals("none")) continue;
                DType encDtype = precision.encoder(encoderShape(name).dModel());
                if (!encodersDone.add(name + "/" + encDtype)) continue;
                try (WhisperEncoder enc = WhisperEncoder.load(encoderShape(name), WeightSource.random(2, 0.02), encDtype)) {
                    double[] ms = new double[repeat];
                    for (int r = 0; r < repeat + 1; r++) { // first run warms up
                        try (PointerScope scope = new PointerScope(); var guard = new org.bytedeco.pytorch.NoGradGuard()) {
                            Tensor mel = torch.randn(1, 80, 3000);
                            long t0 = System.nanoTime();
                            enc.encode(mel, false);
                            if (r > 0) ms[r - 1] = (System.nanoTime() - t0) / 1e6;
                        }
                    }
                    double m = median(ms);
                    String[] r = ref.get(name);
                    System.out.printf(Locale.ROOT, "%-14s %-5s encoder 30 s window: %8.0f ms%s   (load %s)%n", name, encDtype, m,
                            r == null ? "" : String.format(Locale.ROOT, "   whisper.cpp %s ms: ratio %.2f", r[2], Reference.number(r[2]) / m), Reference.loadAverage());
                }
            }
        }
    }

    /** Forward + backward of a stack of 1.1B-shape layers on 512 tokens, and the GEMM rate it reaches. */
    private void benchTraining(DType dtype) {
        LlmConfig big = llmShape("llama-1.1b");
        LlmConfig c = new LlmConfig(big.family(), big.hiddenSize(), big.intermediateSize(), trainLayers, big.numHeads(), big.numKvHeads(), big.headDim(),
                1024, big.rmsNormEps(), big.ropeTheta(), null, false, false, 4096, 1, List.of(2));
        try (Llm llm = Llm.load(c, WeightSource.random(3, 0.02), dtype)) {
            llm.baseTensors().forEach((n, t) -> { if (n.contains("layers.")) t.requires_grad_(true); });
            long params = llm.baseTensors().entrySet().stream().filter(e -> e.getKey().contains("layers.")).mapToLong(e -> e.getValue().numel()).sum();
            double flops = 6.0 * params * promptTokens;                        // forward 2, backward 4 FLOPs per parameter and token
            double[] ms = new double[repeat];
            for (int r = 0; r < repeat + 1; r++) {
                try (PointerScope scope = new PointerScope()) {
                    Tensor x = torch.randn(new long[]{1, promptTokens, c.hiddenSize()}, new org.bytedeco.pytorch.TensorOptions(Torch.scalarType(dtype)));
                    long t0 = System.nanoTime();
                    Tensor h = llm.forward(x, 0, null, null, null);
                    h.to(torch.ScalarType.Float).pow(Torch.scalar(2)).mean().backward();
                    if (r > 0) ms[r - 1] = (System.nanoTime() - t0) / 1e6;
                    llm.baseTensors().values().forEach(t -> { if (t.grad().defined()) t.grad().zero_(); });
                }
            }
            double m = median(ms);
            System.out.printf(Locale.ROOT, "train step  %-5s %d layers of llama-1.1b, %d tokens: %8.0f ms = %.0f GFLOP/s (GEMM matmul-only FLOPs, 6 × %,d params × tokens)%n",
                    dtype, trainLayers, promptTokens, m, flops / m / 1e6, params);
        }
    }

    /**
     * Prefill of the prompt, then decode as llama-bench's tg test runs it: genTokens single-token steps from an empty
     * context (positions 0..genTokens−1), the figure the reference's tg128 is; and the same steps after the prompt
     * (positions promptTokens..), where attention reads the longer cache.
     */
    private void benchLlm(String name, Llm llm, String dtype, Map<String, String[]> ref) {
        double[] m = measure(llm, repeat);
        double p = m[0], g = m[1], a = m[2], gb = g * llm.weightBytesPerToken() / 1e9;
        System.out.printf(Locale.ROOT, "%-14s %-12s prefill pp%d: %8.1f tokens/s   decode tg%d: %6.2f tokens/s = %5.1f GB/s of weights (after the %d-token prompt: %.2f)   [%s]   (load %s)%n",
                name, dtype, promptTokens, p, genTokens, g, gb, promptTokens, a, llm.weightsDescription(), Reference.loadAverage());
        String[] r = ref.get(name + " " + Reference.counterpart(dtype));
        if (r != null) {
            System.out.printf(Locale.ROOT, "%-14s %-12s   llama.cpp %-5s pp512 %s, tg128 %s: ratios (reference / Auris) prefill %.2f, decode %.2f%n",
                    "", "", Reference.counterpart(dtype), r[0], r[1], Reference.number(r[0]) / p, Reference.number(r[1]) / g);
        }
    }

    /**
     * {@link #pairs} rounds, each llama.cpp's counterpart of {@code dtype} (llama-bench -r 1) and then this model once,
     * back to back: each round's ratio Auris / llama.cpp, and their median (the same shape; llama-bench's pp512, tg128).
     */
    private void interleaved(String name, Llm llm, String dtype) {
        String type = Reference.counterpart(dtype);
        System.out.printf(Locale.ROOT, "%-14s %-12s interleaved with llama.cpp %s, %d rounds: [%s]%n", name, dtype, type, pairs, llm.weightsDescription());
        double[] pr = new double[pairs], dr = new double[pairs];
        for (int i = 0; i < pairs; i++) {
            String[] r = Reference.run(refkit, threads, List.of(type), 1).get(name + " " + type);
            if (r == null) throw new IllegalStateException("the reference kit printed no row for " + name + " " + type);
            double[] m = measure(llm, 1);
            pr[i] = m[0] / Reference.number(r[0]);
            dr[i] = m[1] / Reference.number(r[1]);
            System.out.printf(Locale.ROOT, "  round %d: llama.cpp pp512 %.1f, tg128 %.2f; Auris %.1f, %.2f = %.1f GB/s; Auris / llama.cpp %.2f×, %.2f×   (load %s)%n", i + 1,
                    Reference.number(r[0]), Reference.number(r[1]), m[0], m[1], m[1] * llm.weightBytesPerToken() / 1e9, pr[i], dr[i], Reference.loadAverage());
        }
        System.out.printf(Locale.ROOT, "%-14s %-12s Auris / llama.cpp %s, median of %d rounds: prefill %.2f× (%.2f–%.2f), decode %.2f× (%.2f–%.2f)%n", name, dtype, type, pairs,
                median(pr), Arrays.stream(pr).min().orElse(0), Arrays.stream(pr).max().orElse(0), median(dr), Arrays.stream(dr).min().orElse(0), Arrays.stream(dr).max().orElse(0));
    }

    /**
     * Prefills and decodes until the JIT has compiled the step: two rounds in a row, over at least half a second, that
     * add no compilation time (at most a minute). The fused decode step is one large Java method that C2 compiles
     * after thousands of steps, taking a core for most of a second, sometimes twice (a deoptimization): measured
     * before that, a 128-token run lost up to a third of its speed to the compiler (docs/BENCHMARKS.md).
     */
    private void warm(String name, Llm llm) {
        int[] ids = new Random(3).ints(64, 0, llm.config().vocabSize()).toArray();
        var s = dev.auris.pipeline.WarmUp.untilSettled(java.time.Duration.ofMinutes(1), round -> {
            try (var guard = new org.bytedeco.pytorch.NoGradGuard(); Session session = llm.newSession()) {
                try (PointerScope scope = new PointerScope()) {
                    session.prefill(ids);
                }
                steps(session, ids);
            }
        });
        System.out.printf(Locale.ROOT, "%-14s warm-up: %d rounds of a 64-token prefill and %d steps in %.1f s%s%n", name, s.rounds(), genTokens,
                s.seconds(), s.settled() ? "" : " (the JIT was still compiling)");
    }

    /** Medians over {@code reps} runs after one warm-up: prefill tokens/s, decode tokens/s from an empty context, and after the prompt. */
    private double[] measure(Llm llm, int reps) {
        double[] pp = new double[reps], tg = new double[reps], after = new double[reps];
        Random rnd = new Random(7);
        int[] ids = new int[promptTokens];
        for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(llm.config().vocabSize());
        for (int r = 0; r < reps + 1; r++) {
            try (var guard = new org.bytedeco.pytorch.NoGradGuard(); Session s = llm.newSession(); Session fresh = llm.newSession()) {
                long t0 = System.nanoTime();
                try (PointerScope scope = new PointerScope()) {
                    s.prefill(ids);
                }
                long t1 = System.nanoTime();
                steps(s, ids);
                long t2 = System.nanoTime();
                steps(fresh, ids);
                long t3 = System.nanoTime();
                if (r > 0) {
                    pp[r - 1] = promptTokens / ((t1 - t0) / 1e9);
                    after[r - 1] = genTokens / ((t2 - t1) / 1e9);
                    tg[r - 1] = genTokens / ((t3 - t2) / 1e9);
                }
            }
        }
        return new double[]{median(pp), median(tg), median(after)};
    }

    private void steps(Session s, int[] ids) {
        for (int i = 0; i < genTokens; i++) {
            try (PointerScope scope = new PointerScope()) {
                s.step(ids[i % ids.length]);
            }
        }
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
