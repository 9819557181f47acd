package dev.auris.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF version 3 file (ggml {@code docs/gguf.md}, as gguf-py's {@code GGUFWriter}): typed metadata,
 * tensor infos with offsets aligned to 32 bytes, the data. Tensors are given outermost-first (PyTorch order)
 * and already encoded ({@link GgmlQuant}). Written atomically ({@link AtomicFiles}).
 *
 * <p>{@code new GgufWriter().u32("llama.block_count", 2).tensor("output_norm.weight", GgmlType.F32, bytes, 64).write(path);}
 */
public final class GgufWriter {
    static final int ALIGNMENT = 32;

    /** GGUF value type ids (gguf-py {@code GGUFValueType}). */
    private static final int UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9;

    private record Value(int type, Object value) {}

    private record Entry(String name, GgmlType type, long[] shape, byte[] data) {}

    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();

    public GgufWriter u32(String key, long v) { return put(key, UINT32, v); }

    public GgufWriter f32(String key, double v) { return put(key, FLOAT32, (float) v); }

    public GgufWriter bool(String key, boolean v) { return put(key, BOOL, v); }

    public GgufWriter string(String key, String v) { return put(key, STRING, v); }

    public GgufWriter strings(String key, List<String> v) { return put(key, ARRAY, new Value(STRING, List.copyOf(v))); }

    public GgufWriter f32s(String key, float[] v) { return put(key, ARRAY, new Value(FLOAT32, v.clone())); }

    public GgufWriter i32s(String key, int[] v) { return put(key, ARRAY, new Value(INT32, v.clone())); }

    private GgufWriter put(String key, int type, Object v) {
        if (metadata.put(key, new Value(type, v)) != null) throw new IllegalArgumentException("metadata key " + key + " given twice");
        return this;
    }

    /** A tensor of PyTorch shape {@code shape} whose bytes are {@code data} in {@code type}'s encoding. */
    public GgufWriter tensor(String name, GgmlType type, byte[] data, long... shape) {
        long numel = 1;
        for (long d : shape) numel *= d;
        if (shape.length == 0 || shape.length > GgufParser.MAX_DIMS || shape[shape.length - 1] % type.blockSize != 0 || data.length != type.bytes(numel)) {
            throw new IllegalArgumentException(name + ": " + data.length + " bytes do not hold " + type + " " + java.util.Arrays.toString(shape));
        }
        tensors.add(new Entry(name, type, shape.clone(), data));
        return this;
    }

    public void write(Path file) {
        AtomicFiles.write(file, ch -> {
            OutputStream os = new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 20);
            writeTo(os);
            os.flush();
        });
    }

    private void writeTo(OutputStream os) throws IOException {
        {
            Out out = new Out(os);
            out.u32(GgufParser.MAGIC).u32(3).u64(tensors.size()).u64(metadata.size());
            for (var e : metadata.entrySet()) {
                out.str(e.getKey()).u32(e.getValue().type());
                value(out, e.getValue().type(), e.getValue().value());
            }
            long offset = 0;
            for (Entry t : tensors) {
                out.str(t.name()).u32(t.shape().length);
                for (int i = t.shape().length - 1; i >= 0; i--) out.u64(t.shape()[i]); // ne[0] innermost
                out.u32(t.type().id).u64(offset);
                offset = align(offset + t.data().length);
            }
            out.pad();
            for (Entry t : tensors) {
                os.write(t.data());
                out.written += t.data().length;
                out.pad();
            }
        }
    }

    private static void value(Out out, int type, Object v) throws IOException {
        switch (type) {
            case UINT32 -> out.u32((Long) v);
            case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) v));
            case BOOL -> out.bytes(new byte[]{(byte) ((Boolean) v ? 1 : 0)});
            case STRING -> out.str((String) v);
            case ARRAY -> {
                Value a = (Value) v;
                out.u32(a.type());
                switch (a.value()) {
                    case List<?> l -> { out.u64(l.size()); for (Object s : l) out.str((String) s); }
                    case float[] f -> { out.u64(f.length); for (float x : f) out.u32(Float.floatToRawIntBits(x)); }
                    case int[] n -> { out.u64(n.length); for (int x : n) out.u32(x); }
                    default -> throw new IllegalStateException();
                }
            }
            default -> throw new IllegalStateException("type " + type);
        }
    }

    static long align(long n) { return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT; }

    /** Little-endian fields, counting what was written (for the alignment padding). */
    private static final class Out {
        final OutputStream os;
        long written;
        final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Out(OutputStream os) { this.os = os; }

        Out u32(long v) throws IOException { buf.clear(); buf.putInt((int) v); return bytes(buf.array(), 4); }

        Out u64(long v) throws IOException { buf.clear(); buf.putLong(v); return bytes(buf.array(), 8); }

        Out str(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u64(b.length).bytes(b);
        }

        Out bytes(byte[] b) throws IOException { return bytes(b, b.length); }

        Out bytes(byte[] b, int n) throws IOException {
            os.write(b, 0, n);
            written += n;
            return this;
        }

        void pad() throws IOException {
            while (written % ALIGNMENT != 0) bytes(new byte[1]);
        }
    }
}
