package dev.auris.io;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.Map;

/**
 * Writes a safetensors file atomically: everything goes to a temporary file in the same directory,
 * which is forced to disk and then renamed over the target, so a crash leaves either the old file or
 * the new one, never half of one.
 */
public final class SafeTensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A tensor to write: raw little-endian bytes of the given dtype and shape. */
    public record Entry(DType dtype, long[] shape, ByteBuffer bytes) {
        public Entry {
            long numel = 1;
            for (long d : shape) {
                if (d < 0) throw new IllegalArgumentException("negative dimension in shape");
                numel *= d;
            }
            if (bytes.remaining() != numel * dtype.bytes()) {
                throw new IllegalArgumentException("tensor of dtype " + dtype + " and " + numel + " elements needs "
                        + numel * dtype.bytes() + " bytes, got " + bytes.remaining());
            }
        }

        /** A tensor's current dtype, shape and bytes (copied off the native tensor). */
        public static Entry of(Tensor t) {
            return new Entry(Torch.dtype(t.scalar_type()), Torch.shape(t), Torch.toBytes(t));
        }
    }

    private SafeTensorsWriter() {}

    /** Tensors by name, each in its current dtype, in the map's order. */
    public static void writeTensors(Path target, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Map<String, Entry> entries = new java.util.LinkedHashMap<>();
        tensors.forEach((n, t) -> entries.put(n, Entry.of(t)));
        write(target, entries, metadata);
    }

    public static void write(Path target, Map<String, Entry> tensors, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        meta.put("format", "pt");
        if (metadata != null) metadata.forEach(meta::put);
        long offset = 0;
        for (var e : tensors.entrySet()) {
            Entry t = e.getValue();
            ObjectNode n = header.putObject(e.getKey());
            n.put("dtype", t.dtype().safetensorsName());
            ArrayNode shape = n.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            ArrayNode off = n.putArray("data_offsets");
            off.add(offset);
            offset += t.bytes().remaining();
            off.add(offset);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();

        AtomicFiles.write(target, ch -> {
            writeFully(ch, head);
            for (Entry t : tensors.values()) writeFully(ch, t.bytes().duplicate());
        });
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
