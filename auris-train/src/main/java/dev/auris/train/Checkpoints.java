package dev.auris.train;

import dev.auris.core.Torch;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.io.AtomicFiles;
import dev.auris.io.Checkpoint;
import dev.auris.io.CheckpointException;
import dev.auris.io.SafeTensorsWriter;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.*;
import java.util.*;
import java.util.stream.Stream;

/**
 * Training checkpoints {@code step-NNNNNNN/}: trainable tensors (safetensors), the optimizer's state
 * (libtorch archive: AdamW moments and step counts) and {@code state.json}. A checkpoint is written into a
 * temporary directory and renamed into place, so a kill leaves only complete checkpoints; older ones
 * beyond keep-last-N are deleted after the new one is in place.
 */
final class Checkpoints {
    private final Path dir;
    private final int keepLast;

    Checkpoints(Path dir, int keepLast) {
        this.dir = dir;
        this.keepLast = keepLast;
    }

    Optional<Path> latest() {
        return list().stream().reduce((a, b) -> b);
    }

    private List<Path> list() {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d+") && Files.isRegularFile(p.resolve("state.json"))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void save(int step, Map<String, Tensor> params, Optimizer optimizer) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempDirectory(dir, ".step-");
            Map<String, SafeTensorsWriter.Entry> e = new LinkedHashMap<>();
            params.forEach((n, t) -> e.put(n, new SafeTensorsWriter.Entry(Torch.dtype(t.scalar_type()), Torch.shape(t), Torch.toBytes(t))));
            SafeTensorsWriter.write(tmp.resolve("trainable.safetensors"), e, Map.of("step", String.valueOf(step)));
            OutputArchive a = new OutputArchive();
            optimizer.save(a);
            a.save_to(tmp.resolve("optimizer.pt").toString());
            AtomicFiles.writeString(tmp.resolve("state.json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(Map.of("step", step, "tensors", params.size())));
            Path target = dir.resolve(String.format("step-%07d", step));
            if (Files.exists(target)) deleteTree(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            List<Path> all = list();
            for (int i = 0; i < all.size() - keepLast; i++) deleteTree(all.get(i));
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write checkpoint in " + dir + ": " + ex.getMessage(), ex);
        }
    }

    /** Restores tensors and optimizer state in place; returns the step to continue from. */
    int load(Path ckpt, Map<String, Tensor> params, Optimizer optimizer) {
        try (Checkpoint c = Checkpoint.of(ckpt, List.of(ckpt.resolve("trainable.safetensors")));
             var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            for (var e : params.entrySet()) {
                Tensor t = e.getValue();
                if (!c.contains(e.getKey())) {
                    throw new CheckpointException(ckpt.toString(), e.getKey(), "missing from the checkpoint", "resume with the recipe that wrote it, or start over without --resume");
                }
                t.copy_(c.tensor(e.getKey(), Torch.dtype(t.scalar_type()), Torch.shape(t)));
            }
            InputArchive in = new InputArchive();
            in.load_from(ckpt.resolve("optimizer.pt").toString());
            optimizer.load(in);
            String state = Files.readString(ckpt.resolve("state.json"));
            return new ObjectMapper().readTree(state).path("step").asInt();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + ckpt + ": " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
