package dev.auris.io;

import dev.auris.core.DType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * The weights of a Hugging Face model directory: {@code model.safetensors}, or the shards listed by
 * {@code model.safetensors.index.json}. Tensors are read by their HF names and checked against the shape
 * the model expects, so a mismatched checkpoint fails here with the name, both shapes and the fix.
 *
 * <p>{@code try (var ckpt = Checkpoint.open(dir)) { Tensor w = ckpt.tensor("lm_head.weight", DType.F32, vocab, hidden); }}
 */
public final class Checkpoint implements WeightSource, AutoCloseable {
    private final Path dir;
    private final Map<String, SafeTensors> byTensor;
    private final List<SafeTensors> files;

    private Checkpoint(Path dir, Map<String, SafeTensors> byTensor, List<SafeTensors> files) {
        this.dir = dir;
        this.byTensor = byTensor;
        this.files = files;
    }

    public static Checkpoint open(Path dir) {
        Path index = dir.resolve("model.safetensors.index.json");
        Path single = dir.resolve("model.safetensors");
        if (Files.isRegularFile(index)) return openIndex(dir, index);
        if (Files.isRegularFile(single)) return of(dir, List.of(single));
        try (var s = Files.list(dir)) {
            List<Path> all = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            if (!all.isEmpty()) return of(dir, all);
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot list: " + e.getMessage(), e);
        }
        throw new CheckpointException(dir.toString(), null, "no model.safetensors or model.safetensors.index.json",
                "point at a Hugging Face model directory (convert .bin/.pth checkpoints to safetensors first)");
    }

    private static Checkpoint openIndex(Path dir, Path index) {
        JsonNode map;
        try {
            map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
        } catch (IOException e) {
            throw new CheckpointException(index.toString(), null, "unreadable index (" + e.getMessage() + ")", "download the index again");
        }
        if (!map.isObject() || map.isEmpty()) {
            throw new CheckpointException(index.toString(), null, "has no weight_map", "download the index again");
        }
        Map<String, SafeTensors> shards = new LinkedHashMap<>();
        Map<String, SafeTensors> byTensor = new HashMap<>();
        try {
            for (var it = map.properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                String shard = e.getValue().asText();
                SafeTensors st = shards.get(shard);
                if (st == null) {
                    st = SafeTensors.open(dir.resolve(shard));
                    shards.put(shard, st);
                }
                if (!st.contains(e.getKey())) {
                    throw new CheckpointException(dir.resolve(shard).toString(), e.getKey(), "listed in model.safetensors.index.json but not in the shard",
                            "the shard and the index come from different versions; download both again");
                }
                byTensor.put(e.getKey(), st);
            }
        } catch (RuntimeException ex) {
            shards.values().forEach(SafeTensors::close);
            throw ex;
        }
        return new Checkpoint(dir, byTensor, new ArrayList<>(shards.values()));
    }

    /** A checkpoint made of the given safetensors files (tensor names must be unique across them). */
    public static Checkpoint of(Path dir, List<Path> safetensors) {
        Map<String, SafeTensors> byTensor = new HashMap<>();
        List<SafeTensors> files = new ArrayList<>();
        try {
            for (Path p : safetensors) {
                SafeTensors st = SafeTensors.open(p);
                files.add(st);
                for (String name : st.tensors().keySet()) {
                    SafeTensors prev = byTensor.put(name, st);
                    if (prev != null) {
                        throw new CheckpointException(p.toString(), name, "also present in " + prev.file(), "remove the duplicate file");
                    }
                }
            }
        } catch (RuntimeException e) {
            files.forEach(SafeTensors::close);
            throw e;
        }
        return new Checkpoint(dir, byTensor, files);
    }

    public Path dir() { return dir; }

    public Set<String> names() { return Collections.unmodifiableSet(byTensor.keySet()); }

    @Override
    public boolean contains(String name) { return byTensor.containsKey(name); }

    public TensorInfo info(String name) {
        SafeTensors st = byTensor.get(name);
        if (st == null) {
            throw new CheckpointException(dir.toString(), name, "missing from the checkpoint (" + byTensor.size() + " tensors present)",
                    "check that config.json describes these weights (architecture, layer count, tie_word_embeddings)");
        }
        return st.info(name);
    }

    /**
     * The tensor {@code name}, checked to have {@code shape}, converted to {@code dtype} (a new tensor
     * owned by the caller's scope).
     */
    @Override
    public Tensor tensor(String name, DType dtype, long... shape) {
        TensorInfo info = info(name);
        if (!Arrays.equals(info.shape(), shape)) {
            throw new CheckpointException(byTensor.get(name).file().toString(), name,
                    "has shape " + Arrays.toString(info.shape()) + " but the model's configuration (config.json / auris.json) implies " + Arrays.toString(shape),
                    "the weights do not match the configuration: use the configuration that came with these weights");
        }
        if (!info.dtype().isFloatingPoint() && dtype.isFloatingPoint()) {
            throw new CheckpointException(byTensor.get(name).file().toString(), name, "has dtype " + info.dtype() + ", a float was expected",
                    "quantized checkpoints are not supported yet; use an F32/F16/BF16 checkpoint");
        }
        Tensor raw = Torch.fromBytes(byTensor.get(name).data(name), info.dtype(), info.shape());
        return info.dtype() == dtype ? raw : raw.to(Torch.scalarType(dtype));
    }

    @Override
    public void close() { files.forEach(SafeTensors::close); }
}
