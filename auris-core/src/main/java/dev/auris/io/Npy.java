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
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(file + ": " + size + " bytes, more than one .npy read takes (2 GiB)");
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return read(bytes, file.toString());
    }

    /**
     * The array in {@code bytes} ({@code source} names it in errors). Every header field is checked
     * against the bytes present before anything is allocated.
     */
    public static Array read(byte[] bytes, String source) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new IllegalArgumentException(source + ": not a .npy file (bad magic)");
        }
        int major = bytes[6];
        if (major < 1 || major > 3) throw new IllegalArgumentException(source + ": .npy format version " + major + " is not supported (1, 2 or 3)");
        long headerLen;
        int start;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(b.getShort(8));
            start = 10;
        } else {
            if (bytes.length < 12) throw new IllegalArgumentException(source + ": truncated .npy header");
            headerLen = Integer.toUnsignedLong(b.getInt(8));
            start = 12;
        }
        if (start + headerLen > bytes.length) throw new IllegalArgumentException(source + ": .npy header of " + headerLen + " bytes runs past the end of the file");
        String header = new String(bytes, start, (int) headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header), o = ORDER.matcher(header), s = SHAPE.matcher(header);
        if (!d.find() || !o.find() || !s.find()) throw new IllegalArgumentException(source + ": unreadable .npy header " + abbreviate(header));
        if (o.group(1).equals("True")) throw new IllegalArgumentException(source + ": Fortran-order arrays are not supported; save with C order");
        String descr = d.group(1);
        int itemSize = switch (descr) {
            case "<f4", "=f4", "<i4", "=i4" -> 4;
            case "<f8", "=f8", "<i8", "=i8" -> 8;
            case "<f2", "=f2" -> 2;
            default -> throw new IllegalArgumentException(source + ": dtype " + abbreviate(descr) + " is not supported (float32/64/16, int32/64, little-endian)");
        };
        String kind = descr.substring(1);
        String[] dims = s.group(1).split(",");
        long[] shape = new long[0];
        long n = 1;
        for (String dim : dims) {
            String x = dim.trim();
            if (x.isEmpty()) continue;
            long v;
            try {
                v = Long.parseLong(x.endsWith("L") ? x.substring(0, x.length() - 1) : x);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(source + ": shape entry '" + abbreviate(x) + "' is not a number");
            }
            if (v < 0) throw new IllegalArgumentException(source + ": negative dimension " + v + " in shape (" + abbreviate(s.group(1)) + ")");
            shape = Arrays.copyOf(shape, shape.length + 1);
            shape[shape.length - 1] = v;
            n = v == 0 || n == 0 ? 0 : (n > (Long.MAX_VALUE / itemSize) / v ? -1 : n * v);
            if (n < 0) throw new IllegalArgumentException(source + ": shape (" + abbreviate(s.group(1)) + ") is too large");
        }
        long off = start + headerLen;
        if (n * itemSize > bytes.length - off) {
            throw new IllegalArgumentException(source + ": shape (" + abbreviate(s.group(1)) + ") of " + descr + " needs " + n * itemSize + " bytes, only "
                    + (bytes.length - off) + " follow the header (truncated file)");
        }
        float[] out = new float[(int) n];
        b.position((int) off);
        for (int i = 0; i < n; i++) {
            out[i] = switch (kind) {
                case "f4" -> b.getFloat();
                case "f8" -> (float) b.getDouble();
                case "i8" -> b.getLong();
                case "i4" -> b.getInt();
                case "f2" -> Float.float16ToFloat(b.getShort());
                default -> throw new IllegalStateException(kind);
            };
        }
        return new Array(shape, out);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "…";
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
