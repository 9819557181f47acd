package dev.auris.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.core.Home;
import dev.auris.io.Npy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Golden reference files under testdata/golden (see its README for definitions and tolerances). */
public final class Golden {
    private Golden() {}

    public static Path dir(String name) {
        return Home.resolve("testdata/golden/" + name);
    }

    public static Npy.Array npy(String name, String file) {
        return Npy.read(dir(name).resolve(file));
    }

    public static JsonNode json(String name) {
        try {
            return new ObjectMapper().readTree(dir(name).resolve("expected.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
        return out;
    }

    public static double maxAbsDiff(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "element count");
        double m = 0;
        for (int i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(expected[i] - actual[i]));
        return m;
    }

    /** Rows [from, from+count) of a row-major matrix with {@code cols} columns. */
    public static float[] rows(float[] data, int cols, int from, int count) {
        float[] out = new float[count * cols];
        System.arraycopy(data, from * cols, out, 0, out.length);
        return out;
    }
}
