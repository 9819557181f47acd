package dev.auris.train;

import dev.auris.prompt.PromptSpec;
import dev.auris.core.Torch;
import dev.auris.io.Checkpoint;
import dev.auris.core.DType;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechModelSpec;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Two processes on 127.0.0.1 (c10d Gloo) end with exactly the parameters of one process that computes each
 * global batch as the two ranks would ({@link Trainer#asRanks}: slice by slice, each from the same dropout
 * seed, one thread as the ranks have).
 *
 * <p>Why exact, not within a tolerance: with one micro-batch a step, rank r's gradient g_r is the same float32
 * computation in both runs (the same ops on the same slice shapes, one thread, the same dropout masks), and
 * the step's gradient is one float32 add per element in both, g_0 + g_1: the all-reduce's sum of two ranks
 * on one side, autograd's accumulation of the second slice's backward into the first's on the other; a + b is
 * b + a in IEEE arithmetic, so the order the all-reduce adds in does not matter. Clipping, AdamW and the next
 * steps then see bit-equal inputs. (A single process computing the whole batch at once sums over the batch
 * inside its kernels in another order, which is what the earlier 1e-5 tolerance, found by trying, stood for;
 * it failed at 2.9e-5 on another CPU.) A wrong all-reduce (a missing or doubled half) moves weights by whole
 * steps (~1e-3 at lr 1e-3), so equality also tests that the sum is right.
 */
class DataParallelTest {
    @TempDir
    Path tmp;

    @Test
    void twoProcessesEqualOneComputingTheirSlices() throws Exception {
        Path base = tmp.resolve("base");
        try (SpeechLlm m = SpeechLlm.compose(base, TrainFixtures.encoder(), TrainFixtures.llm(), Map.of("type", "final"),
                Map.of("type", "linear", "k", 2), new PromptSpec(null, null, null, true), false, 1, DType.F32)) {
            // composed and saved
        }
        Path recipe = TrainFixtures.tinyRecipe("voicetextblender", tmp, 12, r -> {
            r.putObject("model").put("from", base.toString());
            ((com.fasterxml.jackson.databind.node.ObjectNode) r.withArray("stages").get(0)).put("batch_size", 4);
        });
        StageConfig stage = Recipe.read(recipe).stages().getFirst();
        assertEquals(1, stage.accumulate(), "exact only with one micro-batch a step: with more, ranks sum their slices over micro-batches first");
        assertTrue(stage.lora().dropout() > 0, "dropout on: the slices draw the ranks' masks");

        Path single = tmp.resolve("single").resolve(stage.name());
        int threads = Torch.threads();
        Torch.setThreads(1); // as the ranks (AURIS_THREADS=1): a kernel's reduction order may depend on its thread count
        try (SpeechLlm m = SpeechLlm.load(base, DType.F32, stage.lora(), stage.seed())) {
            new Trainer(stage, single, Path::of, Progress.silent()).asRanks(2).run(m, false);
            m.save(single, false, false);
        } finally {
            Torch.setThreads(threads);
        }

        Path parallel = tmp.resolve("parallel");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        List<Process> ps = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), RecipeRunner.class.getName(), recipe.toString(), parallel.toString())
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("rank" + rank + ".log").toFile());
            pb.environment().putAll(Map.of("MASTER_ADDR", "127.0.0.1", "MASTER_PORT", String.valueOf(port), "RANK", String.valueOf(rank),
                    "WORLD_SIZE", "2", "AURIS_THREADS", "1"));
            ps.add(pb.start());
        }
        for (int rank = 0; rank < 2; rank++) {
            Process p = ps.get(rank);
            assertTrue(p.waitFor(180, TimeUnit.SECONDS), "rank " + rank + " timed out");
            assertEquals(0, p.exitValue(), "rank " + rank + ": " + Files.readString(tmp.resolve("rank" + rank + ".log")));
        }
        try (PointerScope scope = new PointerScope()) {
            for (String f : List.of("fusion.safetensors", "lora.safetensors")) {
                try (Checkpoint a = Checkpoint.of(single, List.of(single.resolve(f)));
                     Checkpoint b = Checkpoint.of(parallel, List.of(parallel.resolve(stage.name()).resolve(f)))) {
                    assertEquals(a.names(), b.names());
                    double max = 0;
                    for (String n : a.names()) {
                        var info = a.info(n);
                        float[] x = Torch.toFloats(a.tensor(n, DType.F32, info.shape())), y = Torch.toFloats(b.tensor(n, DType.F32, info.shape()));
                        for (int i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
                    }
                    assertEquals(0.0, max, 0.0, f + ": max |Δ| between 2 processes and 1 computing their slices (see the class comment: the same float sums)");
                }
            }
        }
    }
}
