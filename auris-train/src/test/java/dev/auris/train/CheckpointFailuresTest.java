package dev.auris.train;

import dev.auris.core.Torch;
import dev.auris.io.CheckpointException;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A disk that fills up while a checkpoint is written leaves the previous checkpoint loadable and the run
 * stops saying why; a truncated or corrupt checkpoint is refused with the file named.
 */
class CheckpointFailuresTest {
    @TempDir
    Path tmp;

    /** Two parameters and an AdamW that has taken {@code steps} steps on them. */
    record Model(Map<String, Tensor> params, AdamW optimizer) {}

    static Model model(int steps) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        torch.manual_seed(1);
        p.put("w", torch.randn(4, 3).requires_grad_(true));
        p.put("b", torch.randn(3).requires_grad_(true));
        AdamW opt = new AdamW(new TensorVector(p.values().toArray(Tensor[]::new)), new AdamWOptions(0.1));
        for (int i = 0; i < steps; i++) {
            opt.zero_grad();
            p.get("w").sum().add(p.get("b").pow(Torch.scalar(2)).sum()).backward();
            opt.step();
        }
        return new Model(p, opt);
    }

    static float[] values(Tensor t) { return Torch.toFloats(t.detach().contiguous()); }

    /** A disk with {@code room} files of room: the next write is cut to half its bytes and fails with ENOSPC. */
    static Checkpoints.Disk fillsUpAfter(int room) {
        int[] left = {room};
        return file -> {
            if (left[0]-- > 0) return;
            long size = Files.size(file);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(size / 2);
            }
            throw new IOException("No space left on device");
        };
    }

    @Test
    void diskFullMidCheckpointLeavesThePreviousOneAndSaysWhy() {
        Path dir = tmp.resolve("checkpoints");
        try (PointerScope scope = new PointerScope()) {
            Model m = model(5);
            new Checkpoints(dir, 3).save(5, m.params(), m.optimizer());
            float[] w5 = values(m.params().get("w"));
            for (int room = 0; room < 3; room++) { // the disk fills at the safetensors, the optimizer state, state.json
                Model later = model(10);
                Checkpoints.Disk disk = fillsUpAfter(room);
                var e = assertThrows(UncheckedIOException.class, () -> new Checkpoints(dir, 3, disk).save(10, later.params(), later.optimizer()));
                assertTrue(e.getMessage().contains("training stopped at step 10") && e.getMessage().contains("No space left on device")
                        && e.getMessage().contains("step-0000005 is intact") && e.getMessage().contains("--resume"), e.getMessage());
                Checkpoints c = new Checkpoints(dir, 3);
                assertEquals("step-0000005", c.latest().orElseThrow().getFileName().toString());
                try (var files = Files.list(dir)) {
                    assertEquals(1, files.count(), "the half-written checkpoint is removed");
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
                Model fresh = model(0);
                assertEquals(5, c.load(c.latest().get(), fresh.params(), fresh.optimizer()));
                assertArrayEquals(w5, values(fresh.params().get("w")), "the previous checkpoint loads unchanged");
            }
        }
    }

    @Test
    void truncatedOrCorruptCheckpointIsRefusedNamingTheFile() throws IOException {
        Path dir = tmp.resolve("checkpoints");
        try (PointerScope scope = new PointerScope()) {
            Model m = model(3);
            Checkpoints c = new Checkpoints(dir, 3);
            c.save(3, m.params(), m.optimizer());
            Path step = c.latest().orElseThrow();
            for (String file : new String[]{"trainable.safetensors", "optimizer.pt", "state.json"}) {
                Path f = step.resolve(file);
                byte[] good = Files.readAllBytes(f);
                for (int cut : new int[]{0, good.length / 2, good.length - 1}) {
                    Files.write(f, java.util.Arrays.copyOf(good, cut));
                    Model fresh = model(0);
                    var e = assertThrows(CheckpointException.class, () -> c.load(step, fresh.params(), fresh.optimizer()), file + " cut to " + cut);
                    assertTrue(e.getMessage().contains(step.toString()), file + " cut to " + cut + ": " + e.getMessage());
                }
                Files.write(f, good);
            }
            Model fresh = model(0);
            assertEquals(3, c.load(step, fresh.params(), fresh.optimizer()), "restored files load again");
        }
    }
}
