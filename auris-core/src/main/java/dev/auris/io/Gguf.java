package dev.auris.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.*;

/**
 * A memory-mapped GGUF file (llama.cpp's model format): metadata, tensor infos and tensor data, every
 * offset validated against the file by {@link GgufParser} before any data is touched. Tensors of the
 * types in {@link GgmlType#dequantizable()} read back as float32 through {@link GgmlDequant}; tensor
 * names are llama.cpp's ({@code blk.0.attn_q.weight}): {@link GgufWeights} maps them to Hugging Face's.
 *
 * <p>{@code try (Gguf g = Gguf.open(path)) { String arch = g.string("general.architecture").orElseThrow(); float[] w = g.floats("output_norm.weight"); }}
 */
public final class Gguf implements AutoCloseable {
    private final Path file;
    private final Arena arena;
    private final MemorySegment map;
    private final GgufParser.Header header;

    private Gguf(Path file, Arena arena, MemorySegment map, GgufParser.Header header) {
        this.file = file;
        this.arena = arena;
        this.map = map;
        this.header = header;
    }

    public static Gguf open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment map = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new Gguf(file, arena, map, GgufParser.parse(file.toString(), map));
        } catch (NoSuchFileException e) {
            arena.close();
            throw new CheckpointException(file.toString(), null, "file not found", "check the path of the .gguf file");
        } catch (IOException e) {
            arena.close();
            throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Whether {@code path} names a GGUF file (by its extension). */
    public static boolean isGguf(Path path) {
        return path.getFileName() != null && path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    public Path file() { return file; }

    public int version() { return header.version(); }

    public long alignment() { return header.alignment(); }

    /** Every metadata value by key, in file order (see {@link GgufParser} for the Java types). */
    public Map<String, Object> metadata() { return header.metadata(); }

    public Map<String, GgufTensorInfo> tensors() { return header.tensors(); }

    /** {@code general.architecture} ("llama", "qwen2", ...). */
    public String architecture() {
        return string("general.architecture").orElseThrow(() -> new CheckpointException(file.toString(), null,
                "has no general.architecture", "the file is not a model GGUF; convert the model with llama.cpp's convert_hf_to_gguf.py"));
    }

    public Optional<String> string(String key) {
        return metadata().get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /** An integer value of any width (uint64 above 2^63 reads negative). */
    public OptionalLong integer(String key) {
        Object v = metadata().get(key);
        return v instanceof Integer || v instanceof Long ? OptionalLong.of(((Number) v).longValue()) : OptionalLong.empty();
    }

    /** A float or integer value. */
    public OptionalDouble number(String key) {
        return metadata().get(key) instanceof Number n ? OptionalDouble.of(n.doubleValue()) : OptionalDouble.empty();
    }

    /** An array value (elements as in {@link #metadata()}), or empty. */
    public List<?> array(String key) {
        return metadata().get(key) instanceof List<?> l ? l : List.of();
    }

    public boolean contains(String tensor) { return tensors().containsKey(tensor); }

    public GgufTensorInfo info(String tensor) {
        GgufTensorInfo t = tensors().get(tensor);
        if (t == null) {
            throw new CheckpointException(file.toString(), tensor, "missing (the file has " + tensors().size() + " tensors)",
                    "check that the GGUF holds a complete model of a supported architecture");
        }
        return t;
    }

    /** The tensor's raw bytes (valid until {@link #close()}). */
    public MemorySegment data(String tensor) {
        GgufTensorInfo t = info(tensor);
        return map.asSlice(header.dataStart() + t.offset(), t.byteSize());
    }

    /** The tensor dequantized to float32, row-major in {@link GgufTensorInfo#shape()} order. */
    public float[] floats(String tensor) {
        GgufTensorInfo t = info(tensor);
        if (!t.type().dequantizable()) {
            throw new CheckpointException(file.toString(), tensor, "has type " + t.type() + ", which Auris cannot dequantize",
                    "Auris reads F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K and Q6_K; requantize with llama-quantize (e.g. Q4_K_M or Q8_0)");
        }
        if (t.numel() > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(file.toString(), tensor, "has " + t.numel() + " elements, more than a Java array holds", "");
        }
        return GgmlDequant.toFloats(t.type(), data(tensor), (int) t.numel());
    }

    @Override
    public void close() { arena.close(); }
}
