package dev.auris.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** Malformed and hostile GGUF headers: each is a CheckpointException that names the problem, never an OOM or a crash. */
class GgufHostileTest {
    @TempDir
    Path tmp;

    /** Little-endian GGUF bytes, written field by field. */
    static final class Bytes {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes u32(long v) { return put(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array()); }

        Bytes u64(long v) { return put(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array()); }

        Bytes str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u64(b.length).put(b);
        }

        Bytes put(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Bytes header(long tensors, long kvs) { return u32(GgufParser.MAGIC).u32(3).u64(tensors).u64(kvs); }

        Bytes tensor(String name, int type, long offset, long... ne) {
            str(name).u32(ne.length);
            for (long d : ne) u64(d);
            return u32(type).u64(offset);
        }

        Bytes padAndData(int dataBytes) {
            while (out.size() % 32 != 0) out.write(0);
            return put(new byte[dataBytes]);
        }

        byte[] bytes() { return out.toByteArray(); }
    }

    String error(byte[] file) throws IOException {
        Path p = tmp.resolve("x.gguf");
        Files.write(p, file);
        CheckpointException e = assertThrows(CheckpointException.class, () -> {
            try (Gguf g = Gguf.open(p)) {
                g.tensors().keySet().forEach(g::floats);
            }
        });
        assertTrue(e.getMessage().contains(p.toString()), "names the file: " + e.getMessage());
        return e.getMessage();
    }

    static void says(String message, String... parts) {
        for (String s : parts) assertTrue(message.contains(s), "expected '" + s + "' in: " + message);
    }

    @Test
    void badMagic() throws IOException {
        says(error("GGML and more bytes than that".getBytes()), "bad magic", "not a GGUF file");
        says(error(new byte[2]), "ends inside the header");
    }

    @Test
    void unsupportedVersion() throws IOException {
        says(error(new Bytes().u32(GgufParser.MAGIC).u32(1).u64(0).u64(0).bytes()), "version 1");
    }

    @Test
    void hugeCounts() throws IOException {
        says(error(new Bytes().header(1L << 60, 0).bytes()), "claims 1152921504606846976 tensors");
        says(error(new Bytes().header(0, -1).bytes()), "claims 18446744073709551615 metadata entries");
        says(error(new Bytes().header(0, 1).str("k").u32(8).u64(1L << 62).bytes()), "string length 4611686018427387904");
        says(error(new Bytes().header(0, 1).str("k").u32(9).u32(5).u64(1L << 61).bytes()), "claims 2305843009213693952 elements");
        says(error(new Bytes().header(1, 0).tensor("t", 0, 0, 1L << 30, 1L << 30).padAndData(0).bytes()), "past the end of the file");
        says(error(new Bytes().header(1, 0).tensor("t", 0, 0, 1L << 40, 1L << 40, 1L << 40).padAndData(64).bytes()), "more elements than 2^63");
        says(error(new Bytes().header(1, 0).str("t").u32(7).padAndData(64).bytes()), "7 dimensions");
    }

    @Test
    void truncatedFile() throws IOException {
        byte[] whole = Files.readAllBytes(GgufTest.golden("types.gguf"));
        says(error(Arrays.copyOf(whole, 100)), "truncated");
        says(error(Arrays.copyOf(whole, 20)), "ends inside the header");
        says(error(Arrays.copyOf(whole, whole.length - 10)), "past the end of the file", "truncated");
    }

    @Test
    void offsetOutsideTheFile() throws IOException {
        says(error(new Bytes().header(1, 0).tensor("w", 0, 1L << 40, 4).padAndData(16).bytes()), "tensor 'w'", "past the end of the file");
        says(error(new Bytes().header(1, 0).tensor("w", 0, 3, 4).padAndData(64).bytes()), "not a multiple of the alignment 32");
        says(error(new Bytes().header(2, 0).tensor("a", 0, 0, 8).tensor("b", 0, 0, 8).padAndData(64).bytes()), "overlaps tensor 'a'");
    }

    @Test
    void unknownOrUnsupportedTensorType() throws IOException {
        says(error(new Bytes().header(1, 0).tensor("w", 99, 0, 32).padAndData(64).bytes()), "tensor 'w'", "unknown ggml type id 99");
        says(error(new Bytes().header(1, 0).tensor("w", 11, 0, 256).padAndData(110).bytes()), "tensor 'w'", "Q3_K", "cannot dequantize");
        says(error(new Bytes().header(1, 0).tensor("w", 12, 0, 32).padAndData(144).bytes()), "row length 32 is not a multiple of Q4_K's block of 256");
        says(error(new Bytes().header(0, 1).str("k").u32(77).bytes()), "unknown value type 77");
        says(error(new Bytes().header(0, 1).str("general.alignment").u32(4).u32(48).bytes()), "general.alignment = 48 is not a positive power of two");
        says(error(new Bytes().header(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2).bytes()), "metadata key 'k' appears twice");
    }

    @Test
    void aWellFormedMinimalFileOpens() throws IOException {
        Path p = tmp.resolve("ok.gguf");
        Files.write(p, new Bytes().header(1, 1).str("general.architecture").u32(8).str("llama").tensor("w", 0, 0, 2).padAndData(8).bytes());
        try (Gguf g = Gguf.open(p)) {
            assertEquals("llama", g.architecture());
            assertArrayEquals(new float[]{0, 0}, g.floats("w"));
        }
    }
}
