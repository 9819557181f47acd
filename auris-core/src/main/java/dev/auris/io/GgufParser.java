package dev.auris.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.*;

/**
 * Reads a GGUF header (ggml {@code docs/gguf.md}; llama.cpp {@code ggml/src/gguf.cpp}): magic "GGUF",
 * uint32 version (2 or 3), uint64 tensor count, uint64 metadata count, the metadata key/values, the
 * tensor infos {@code (name, n_dims, ne[n_dims], type, offset)}, then padding to {@code general.alignment}.
 * Every count and length is checked against the bytes left before anything is allocated, so a hostile
 * header ends in a {@link CheckpointException}, never an OutOfMemoryError.
 */
final class GgufParser {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    static final int MAX_DIMS = 4;       // GGML_MAX_DIMS
    static final int MAX_NESTING = 4;
    /** Caps far above real files (≈ 10^4 tensors, vocabularies of ≈ 2.6·10^5) that keep a hostile multi-GB file from filling the heap with boxed values. */
    static final long MAX_TENSORS = 1 << 20, MAX_KV = 1 << 20, MAX_ARRAY = 1 << 24;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** What the header says. {@code dataStart} is the file offset of the data section. */
    record Header(int version, Map<String, Object> metadata, Map<String, GgufTensorInfo> tensors, long alignment, long dataStart) {}

    private final String file;
    private final MemorySegment seg;
    private long pos;

    private GgufParser(String file, MemorySegment seg) {
        this.file = file;
        this.seg = seg;
    }

    static Header parse(String file, MemorySegment seg) {
        return new GgufParser(file, seg).header();
    }

    private Header header() {
        need(4, "the magic");
        int magic = seg.get(I32, 0);
        pos = 4;
        if (magic != MAGIC) {
            throw fail(null, String.format("bad magic 0x%08X (a GGUF file starts with the bytes \"GGUF\")", magic),
                    "this is not a GGUF file; give a llama.cpp .gguf (or a Hugging Face directory)");
        }
        int version = u32("the version");
        if (version != 2 && version != 3) {
            throw fail(null, "GGUF version " + Integer.toUnsignedString(version) + " is not supported (Auris reads versions 2 and 3)",
                    "convert the file again with a current llama.cpp (convert_hf_to_gguf.py)");
        }
        long nTensors = u64("the tensor count"), nKv = u64("the metadata count");
        // smallest possible entries: a tensor info 8 (name length) + 4 (n_dims) + 8 (one dim) + 4 (type) + 8 (offset); a key/value 8 + 4 + 1
        if (nTensors < 0 || nTensors > remaining() / 32 || nTensors > MAX_TENSORS) {
            throw fail(null, "header claims " + Long.toUnsignedString(nTensors) + " tensors but only " + remaining() + " bytes follow (Auris reads at most " + MAX_TENSORS + ")", "the file is corrupt or truncated");
        }
        if (nKv < 0 || nKv > remaining() / 13 || nKv > MAX_KV) {
            throw fail(null, "header claims " + Long.toUnsignedString(nKv) + " metadata entries but only " + remaining() + " bytes follow (Auris reads at most " + MAX_KV + ")", "the file is corrupt or truncated");
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            String key = string("metadata key " + i);
            int type = u32("the type of metadata '" + key + "'");
            Object value = value(key, type, 0);
            if (meta.put(key, value) != null) throw fail(null, "metadata key '" + key + "' appears twice", "the file is corrupt");
        }
        long alignment = 32;
        Object al = meta.get("general.alignment");
        if (al != null) {
            if (!(al instanceof Number n) || n.longValue() <= 0 || Long.bitCount(n.longValue()) != 1) {
                throw fail(null, "general.alignment = " + al + " is not a positive power of two", "the file is corrupt");
            }
            alignment = n.longValue();
        }
        Map<String, GgufTensorInfo> tensors = new LinkedHashMap<>();
        List<long[]> offsets = new ArrayList<>();
        for (long i = 0; i < nTensors; i++) {
            String name = string("the name of tensor " + i);
            int nDims = u32("n_dims of '" + name + "'");
            if (nDims < 1 || nDims > MAX_DIMS) throw fail(name, "has " + Integer.toUnsignedString(nDims) + " dimensions (ggml allows 1 to 4)", "the file is corrupt");
            long[] ne = new long[nDims];
            long numel = 1;
            for (int d = 0; d < nDims; d++) {
                ne[d] = u64("dimension " + d + " of '" + name + "'");
                if (ne[d] < 0) throw fail(name, "dimension " + d + " is " + Long.toUnsignedString(ne[d]), "the file is corrupt");
                try {
                    numel = Math.multiplyExact(numel, ne[d]);
                } catch (ArithmeticException e) {
                    throw fail(name, "shape " + Arrays.toString(ne) + " has more elements than 2^63", "the file is corrupt");
                }
            }
            int typeId = u32("the type of '" + name + "'");
            GgmlType type = GgmlType.ofId(Integer.toUnsignedLong(typeId)).orElseThrow(() -> fail(name,
                    "has unknown ggml type id " + Integer.toUnsignedString(typeId), "the file is corrupt, or newer than Auris (it reads F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)"));
            if (ne[0] % type.blockSize != 0) {
                throw fail(name, "row length " + ne[0] + " is not a multiple of " + type + "'s block of " + type.blockSize, "the file is corrupt");
            }
            long offset = u64("the offset of '" + name + "'");
            if (offset < 0 || offset % alignment != 0) {
                throw fail(name, "data offset " + Long.toUnsignedString(offset) + " is not a multiple of the alignment " + alignment, "the file is corrupt");
            }
            long bytes;
            try {
                bytes = type.bytes(numel);
            } catch (ArithmeticException e) {
                throw fail(name, "byte size of " + type + " " + Arrays.toString(ne) + " overflows 64 bits", "the file is corrupt");
            }
            if (tensors.put(name, new GgufTensorInfo(name, type, ne, offset, bytes)) != null) {
                throw fail(name, "appears twice in the header", "the file is corrupt");
            }
            offsets.add(new long[]{offset, bytes});
        }
        long dataStart = (pos + alignment - 1) / alignment * alignment;
        long dataLen = seg.byteSize() - dataStart;
        for (GgufTensorInfo t : tensors.values()) {
            if (dataLen < 0 || t.offset() > dataLen || t.byteSize() > dataLen - t.offset()) {
                throw fail(t.name(), "data [" + t.offset() + ", " + (t.offset() + t.byteSize()) + ") lies past the end of the file (data section "
                        + Math.max(dataLen, 0) + " bytes)", "the file is truncated; download or convert it again");
            }
        }
        List<GgufTensorInfo> sorted = new ArrayList<>(tensors.values());
        sorted.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        for (int i = 1; i < sorted.size(); i++) {
            GgufTensorInfo a = sorted.get(i - 1), b = sorted.get(i);
            if (b.offset() < a.offset() + a.byteSize()) {
                throw fail(b.name(), "data overlaps tensor '" + a.name() + "'", "the file is corrupt");
            }
        }
        return new Header(version, Collections.unmodifiableMap(meta), Collections.unmodifiableMap(tensors), alignment, dataStart);
    }

    /** One metadata value: numbers as Integer / Long / Float / Double (uint64 as its bits), BOOL, STRING, ARRAY as a List. */
    private Object value(String key, int type, int depth) {
        return switch (type) {
            case 0 -> { need(1, key); yield Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, pos++)); }          // UINT8
            case 1 -> { need(1, key); yield (int) seg.get(ValueLayout.JAVA_BYTE, pos++); }                          // INT8
            case 2 -> { need(2, key); int v = Short.toUnsignedInt(seg.get(I16, pos)); pos += 2; yield v; }         // UINT16
            case 3 -> { need(2, key); int v = seg.get(I16, pos); pos += 2; yield v; }                               // INT16
            case 4 -> Integer.toUnsignedLong(u32(key));                                                             // UINT32
            case 5 -> u32(key);                                                                                     // INT32
            case 6 -> { need(4, key); float v = seg.get(F32, pos); pos += 4; yield v; }                             // FLOAT32
            case 7 -> { need(1, key); yield seg.get(ValueLayout.JAVA_BYTE, pos++) != 0; }                           // BOOL
            case 8 -> string(key);                                                                                  // STRING
            case 9 -> array(key, depth);                                                                            // ARRAY
            case 10, 11 -> u64(key);                                                                                // UINT64, INT64
            case 12 -> { need(8, key); double v = seg.get(F64, pos); pos += 8; yield v; }                           // FLOAT64
            default -> throw fail(null, "metadata '" + key + "' has unknown value type " + Integer.toUnsignedString(type), "the file is corrupt or newer than Auris");
        };
    }

    private List<Object> array(String key, int depth) {
        if (depth >= MAX_NESTING) throw fail(null, "metadata '" + key + "' nests arrays deeper than " + MAX_NESTING, "the file is corrupt");
        int type = u32(key);
        long n = u64(key);
        long min = switch (type) {
            case 0, 1, 7 -> 1;
            case 2, 3 -> 2;
            case 4, 5, 6 -> 4;
            case 8, 10, 11, 12 -> 8;
            case 9 -> 12;
            default -> throw fail(null, "metadata array '" + key + "' has unknown element type " + Integer.toUnsignedString(type), "the file is corrupt");
        };
        if (n < 0 || n > remaining() / min || n > MAX_ARRAY) {
            throw fail(null, "metadata array '" + key + "' claims " + Long.toUnsignedString(n) + " elements but only " + remaining() + " bytes follow (Auris reads at most " + MAX_ARRAY + ")", "the file is corrupt or truncated");
        }
        List<Object> out = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) out.add(value(key, type, depth + 1));
        return Collections.unmodifiableList(out);
    }

    private String string(String what) {
        long n = u64(what);
        if (n < 0 || n > remaining() || n > Integer.MAX_VALUE) {
            throw fail(null, what + ": string length " + Long.toUnsignedString(n) + " runs past the end of the file (" + remaining() + " bytes left)",
                    "the file is corrupt or truncated");
        }
        byte[] b = new byte[(int) n];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, 0, b.length);
        pos += n;
        return new String(b, StandardCharsets.UTF_8);
    }

    private int u32(String what) {
        need(4, what);
        int v = seg.get(I32, pos);
        pos += 4;
        return v;
    }

    private long u64(String what) {
        need(8, what);
        long v = seg.get(I64, pos);
        pos += 8;
        return v;
    }

    private long remaining() { return seg.byteSize() - pos; }

    private void need(long n, String what) {
        if (remaining() < n) {
            throw fail(null, "the file ends inside the header (reading " + what + " at byte " + pos + " of " + seg.byteSize() + ")",
                    "the file is truncated; download or convert it again");
        }
    }

    private CheckpointException fail(String tensor, String problem, String fix) {
        return new CheckpointException(file, tensor, problem, fix);
    }
}
