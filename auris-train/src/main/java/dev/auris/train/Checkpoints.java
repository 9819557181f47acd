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
    /**
     * Sees each file of a checkpoint once it is written, before the checkpoint is renamed into place; a
     * test's disk throws here, after cutting the file short, to be a disk that filled up mid-write.
     */
    @FunctionalInterface
    interface Disk {
        Disk LOCAL = file -> {};

        void written(Path file) throws IOException;
    }

    private final Path dir;
    private final int keepLast;
    private final Disk disk;

    Checkpoints(Path dir, int keepLast) {
        this(dir, keepLast, Disk.LOCAL);
    }

    Checkpoints(Path dir, int keepLast, Disk disk) {
        this.dir = dir;
        this.keepLast = keepLast;
        this.disk = disk;
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
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempDirectory(dir, ".step-");
            Map<String, SafeTensorsWriter.Entry> e = new LinkedHashMap<>();
            params.forEach((n, t) -> e.put(n, new SafeTensorsWriter.Entry(Torch.dtype(t.scalar_type()), Torch.shape(t), Torch.toBytes(t))));
            SafeTensorsWriter.write(tmp.resolve("trainable.safetensors"), e, Map.of("step", String.valueOf(step)));
            disk.written(tmp.resolve("trainable.safetensors"));
            OutputArchive a = new OutputArchive();
            optimizer.save(a);
            try {
                a.save_to(tmp.resolve("optimizer.pt").toString());
            } catch (RuntimeException writeError) { // libtorch's write error (e.g. ENOSPC) arrives as a c10::Error
                throw new IOException(writeError.getMessage(), writeError);
            }
            disk.written(tmp.resolve("optimizer.pt"));
            AtomicFiles.writeString(tmp.resolve("state.json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(Map.of("step", step, "tensors", params.size())));
            disk.written(tmp.resolve("state.json"));
            Path target = dir.resolve(String.format("step-%07d", step));
            if (Files.exists(target)) deleteTree(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
            List<Path> all = list();
            for (int i = 0; i < all.size() - keepLast; i++) deleteTree(all.get(i));
        } catch (IOException | UncheckedIOException ex) {
            String why = ex instanceof UncheckedIOException u ? u.getCause().getMessage() : ex.getMessage();
            if (tmp != null) {
                try {
                    deleteTree(tmp); // the half-written checkpoint: its bytes are what a full disk needs back
                } catch (IOException ignored) {
                    // left as a hidden .step-* directory, which latest() never picks
                }
            }
            throw new UncheckedIOException("training stopped at step " + step + ": cannot write its checkpoint in " + dir + " (" + why + "); "
                    + latest().map(p -> p.getFileName() + " is intact: free space and run again with --resume").orElse("no earlier checkpoint exists"),
                    ex instanceof IOException io ? io : ((UncheckedIOException) ex).getCause());
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
            Path opt = ckpt.resolve("optimizer.pt");
            InputArchive in = new InputArchive();
            try {
                in.load_from(opt.toString());
                optimizer.load(in);
            } catch (RuntimeException e) { // libtorch's c10::Error: truncated or not an archive
                throw new CheckpointException(opt.toString(), null, "the optimizer state cannot be read (" + firstLine(e.getMessage()) + ")",
                        "the checkpoint is damaged: delete " + ckpt.getFileName() + " to resume from the one before, or start over without --resume");
            }
            Path stateFile = ckpt.resolve("state.json");
            var state = new ObjectMapper().readTree(Files.readString(stateFile));
            int step = state == null ? -1 : state.path("step").asInt(-1);
            if (step <= 0 || !ckpt.getFileName().toString().equals(String.format("step-%07d", step))) {
                throw new CheckpointException(stateFile.toString(), null, "says step " + step + " in " + ckpt.getFileName(),
                        "the checkpoint is damaged: delete " + ckpt.getFileName() + " to resume from the one before");
            }
            return step;
        } catch (IOException e) {
            throw new CheckpointException(ckpt + ": cannot read the checkpoint (" + e.getMessage() + "); delete it to resume from the one before", e);
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
