package dev.auris.io;

import dev.auris.core.DType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.*;

/**
 * A memory-mapped safetensors file (format: 8-byte little-endian header length N, N bytes of JSON
 * header {name: {dtype, shape, data_offsets}}, then the data section). Every offset is validated
 * against the file before any byte is touched, so a truncated or malformed file is an exception that
 * names the file and the tensor, never a crash.
 *
 * <p>Usage: {@code try (var st = SafeTensors.open(path)) { ByteBuffer b = st.data("lm_head.weight"); }}
 * The buffers stay valid until {@link #close()}.
 */
public final class SafeTensors implements AutoCloseable {
    /** Headers above this size are rejected as corrupt (the largest real ones are a few MB). */
    static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, Arena arena, MemorySegment data, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafeTensors open(Path file) {
        String name = file.toString();
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointException(name, null, "file is " + size + " bytes, too short for a safetensors header",
                        "the file is truncated or not a safetensors file; download or save it again");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES) {
                throw new CheckpointException(name, null, "header length " + headerLen + " is not plausible (file size " + size + ")",
                        "this is not a safetensors file, or its first 8 bytes are corrupt");
            }
            if (8 + headerLen > size) {
                throw new CheckpointException(name, null, "header length " + headerLen + " runs past the end of the file (" + size + " bytes)",
                        "the file is truncated; download or save it again");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8);
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(name, new String(header.array(), StandardCharsets.UTF_8), dataLen, metadata);
            MemorySegment seg = dataLen == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataLen, arena);
            return new SafeTensors(file, arena, seg, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        } catch (NoSuchFileException e) {
            arena.close();
            throw new CheckpointException(name, null, "file not found", "check the model directory path");
        } catch (IOException e) {
            arena.close();
            throw new CheckpointException(name + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) throw new IOException("unexpected end of file");
        }
    }

    static Map<String, TensorInfo> parseHeader(String file, String json, long dataLen, Map<String, String> metadataOut) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file, null, "header is not valid JSON (" + e.getOriginalMessage() + ")",
                    "the file is corrupt or not a safetensors file");
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file, null, "header is not a JSON object", "the file is corrupt or not a safetensors file");
        }
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        for (var it = root.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            String tname = e.getKey();
            JsonNode v = e.getValue();
            if (tname.equals("__metadata__")) {
                v.properties().forEach(m -> metadataOut.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
            if (dt == null || sh == null || off == null || !sh.isArray() || !off.isArray() || off.size() != 2) {
                throw new CheckpointException(file, tname, "header entry lacks dtype, shape or data_offsets [begin, end]",
                        "the file is corrupt; save it again");
            }
            DType dtype = DType.ofSafetensors(dt.asText()).orElseThrow(() -> new CheckpointException(file, tname, "unknown dtype '" + dt.asText() + "'",
                    "Auris reads F32, F16, BF16, I64, I32, I8, U8 and BOOL; convert the checkpoint (e.g. to F32 or BF16)"));
            long[] shape = new long[sh.size()];
            long numel = 1, nbytes;
            try {
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = sh.get(i).asLong(-1);
                    if (shape[i] < 0) throw new CheckpointException(file, tname, "negative dimension in shape " + sh, "the file is corrupt");
                    numel = Math.multiplyExact(numel, shape[i]);
                }
                nbytes = Math.multiplyExact(numel, (long) dtype.bytes());
            } catch (ArithmeticException ex) {
                throw new CheckpointException(file, tname, "shape " + sh + " of dtype " + dtype + " is too large (its byte size overflows 64 bits)",
                        "the file is corrupt; save it again");
            }
            long begin = off.get(0).asLong(-1), end = off.get(1).asLong(-1);
            if (begin < 0 || end < begin || end > dataLen) {
                throw new CheckpointException(file, tname, "data_offsets [" + begin + ", " + end + "] lie outside the data section of "
                        + dataLen + " bytes", "the file is truncated or corrupt; download or save it again");
            }
            if (end - begin != nbytes) {
                throw new CheckpointException(file, tname, "holds " + (end - begin) + " bytes but dtype " + dtype + " shape " + sh
                        + " needs " + nbytes, "the file is corrupt; save it again");
            }
            out.put(tname, new TensorInfo(tname, dtype, shape, begin, end));
        }
        List<TensorInfo> sorted = new ArrayList<>(out.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo a = sorted.get(i - 1), b = sorted.get(i);
            if (b.begin() < a.end()) {
                throw new CheckpointException(file, b.name(), "data [" + b.begin() + ", " + b.end() + ") overlaps tensor '" + a.name()
                        + "' [" + a.begin() + ", " + a.end() + ")", "the file is corrupt; save it again");
            }
        }
        return out;
    }

    public Path file() { return file; }

    public Map<String, TensorInfo> tensors() { return tensors; }

    public Map<String, String> metadata() { return metadata; }

    public boolean contains(String name) { return tensors.containsKey(name); }

    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(file.toString(), name, "missing (the file has " + tensors.size() + " tensors)",
                    "check that the checkpoint matches the model architecture in config.json");
        }
        return t;
    }

    /** The tensor's bytes as a read-only little-endian direct buffer, valid until {@link #close()}. */
    public ByteBuffer data(String name) {
        TensorInfo t = info(name);
        if (t.byteSize() > Integer.MAX_VALUE) {
            throw new CheckpointException(file.toString(), name, "is larger than 2 GiB", "shard the checkpoint into smaller tensors");
        }
        if (t.byteSize() == 0) return ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
        return data.asSlice(t.begin(), t.byteSize()).asByteBuffer().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() { arena.close(); }
}
