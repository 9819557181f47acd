package dev.auris.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files (format 1.0/2.0, C order): read as float32 (from f4, f8, i8, i4, f2), write
 * float32 atomically. This is how features and activations are exchanged with reference implementations.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']+)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** A float32 array with its shape. */
    public record Array(long[] shape, float[] data) {
        public Array {
            long n = 1;
            for (long d : shape) n *= d;
            if (n != data.length) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
        }

        public int dim(int i) { return (int) shape[i]; }
    }

    private Npy() {}

    public static Array read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new IllegalArgumentException(file + ": not a .npy file (bad magic)");
        }
        int major = bytes[6];
        int headerLen;
        int start;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(b.getShort(8));
            start = 10;
        } else {
            headerLen = b.getInt(8);
            start = 12;
        }
        if (start + headerLen > bytes.length) throw new IllegalArgumentException(file + ": truncated .npy header");
        String header = new String(bytes, start, headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header), o = ORDER.matcher(header), s = SHAPE.matcher(header);
        if (!d.find() || !o.find() || !s.find()) throw new IllegalArgumentException(file + ": unreadable .npy header " + header);
        if (o.group(1).equals("True")) throw new IllegalArgumentException(file + ": Fortran-order arrays are not supported; save with C order");
        long[] shape = Arrays.stream(s.group(1).split(",")).map(String::trim).filter(x -> !x.isEmpty()).mapToLong(Long::parseLong).toArray();
        long n = 1;
        for (long x : shape) n *= x;
        String descr = d.group(1);
        if (descr.startsWith(">")) throw new IllegalArgumentException(file + ": big-endian .npy is not supported");
        String kind = descr.substring(1);
        int itemSize = Integer.parseInt(kind.substring(1));
        int off = start + headerLen;
        if (off + n * itemSize > bytes.length) throw new IllegalArgumentException(file + ": data is truncated");
        float[] out = new float[(int) n];
        b.position(off);
        for (int i = 0; i < n; i++) {
            out[i] = switch (kind) {
                case "f4" -> b.getFloat();
                case "f8" -> (float) b.getDouble();
                case "i8" -> b.getLong();
                case "i4" -> b.getInt();
                case "f2" -> Float.float16ToFloat(b.getShort());
                default -> throw new IllegalArgumentException(file + ": dtype " + descr + " is not supported");
            };
        }
        return new Array(shape, out);
    }

    /** Writes float32 data of the given shape (temp file + rename). */
    public static void write(Path file, float[] data, long... shape) {
        new Array(shape, data); // validates
        StringBuilder sh = new StringBuilder();
        for (long x : shape) sh.append(x).append(", ");
        if (shape.length > 1) sh.setLength(sh.length() - 1);
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + sh.toString().trim() + "), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length()).put(header.getBytes(StandardCharsets.ISO_8859_1));
        for (float f : data) b.putFloat(f);
        AtomicFiles.write(file, b.array());
    }
}
