package dev.auris.io;

import dev.auris.core.DType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.core.Home;
import dev.auris.core.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Safetensors contract: bit-exact round trips (writer → reader → libtorch → bytes), HF multi-shard
 * checkpoints, and malformed files failing with a {@link CheckpointException} that names the file, the
 * tensor and the problem.
 */
class SafeTensorsTest {
    static final Path LLAMA_TINY = Home.resolve("testdata/golden/llama-tiny");

    @TempDir
    Path tmp;

    // ---------------------------------------------------------------- round trips

    @Test
    void roundTripIsBitExactForEveryDtype() {
        Random rnd = new Random(42);
        int n = 3 * 5 * 7;
        float[] f32 = new float[n];
        for (int i = 0; i < n; i++) f32[i] = (float) (rnd.nextGaussian() * 3);
        f32[0] = Float.MIN_VALUE;           // subnormal
        f32[1] = -0.0f;
        f32[2] = Float.MAX_VALUE;
        f32[3] = Float.NEGATIVE_INFINITY;
        f32[4] = Float.intBitsToFloat(0x7fc00001); // a NaN with a payload: bytes must survive untouched
        ByteBuffer bF32 = le(n * 4);
        ByteBuffer bF16 = le(n * 2);
        ByteBuffer bBF16 = le(n * 2);
        for (float v : f32) {
            bF32.putFloat(v);
            bF16.putShort(Float.floatToFloat16(v));
            bBF16.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
        }
        long[] i64 = new long[n];
        ByteBuffer bI64 = le(n * 8);
        for (int i = 0; i < n; i++) bI64.putLong(i64[i] = i == 0 ? Long.MIN_VALUE : i == 1 ? Long.MAX_VALUE : rnd.nextLong());
        Map<String, SafeTensorsWriter.Entry> entries = new LinkedHashMap<>();
        entries.put("w.f32", new SafeTensorsWriter.Entry(DType.F32, new long[]{3, 5, 7}, bF32.flip()));
        entries.put("w.f16", new SafeTensorsWriter.Entry(DType.F16, new long[]{n}, bF16.flip()));
        entries.put("w.bf16", new SafeTensorsWriter.Entry(DType.BF16, new long[]{7, 15}, bBF16.flip()));
        entries.put("ids.i64", new SafeTensorsWriter.Entry(DType.I64, new long[]{5, 21}, bI64.flip()));
        entries.put("scalar", new SafeTensorsWriter.Entry(DType.F32, new long[]{}, le(4).putFloat(2.5f).flip()));
        entries.put("empty", new SafeTensorsWriter.Entry(DType.F32, new long[]{0, 4}, le(0)));
        Path file = tmp.resolve("rt.safetensors");
        SafeTensorsWriter.write(file, entries, Map.of("producer", "auris-test"));

        try (SafeTensors st = SafeTensors.open(file); PointerScope scope = new PointerScope()) {
            assertEquals(entries.keySet(), st.tensors().keySet());
            assertEquals("auris-test", st.metadata().get("producer"));
            assertEquals("pt", st.metadata().get("format"));
            for (var e : entries.entrySet()) {
                String name = e.getKey();
                SafeTensorsWriter.Entry want = e.getValue();
                TensorInfo info = st.info(name);
                assertEquals(want.dtype(), info.dtype(), name);
                assertArrayEquals(want.shape(), info.shape(), name);
                byte[] expected = bytes(want.bytes());
                ByteBuffer data = st.data(name);
                assertEquals(ByteOrder.LITTLE_ENDIAN, data.order());
                assertArrayEquals(expected, bytes(data), name + ": file bytes");

                // through libtorch and back: still the same bytes, dtype and shape
                Tensor t = Torch.fromBytes(data, info.dtype(), info.shape());
                assertEquals(want.dtype(), Torch.dtype(t.scalar_type()), name);
                assertArrayEquals(want.shape(), Torch.shape(t), name);
                assertArrayEquals(expected, bytes(Torch.toBytes(t)), name + ": tensor bytes");
            }
            // values, not only bytes: F32 exact; F16/BF16 equal the reference conversions exactly
            float[] fromF32 = Torch.toFloats(Torch.fromBytes(st.data("w.f32"), DType.F32, 3, 5, 7));
            float[] fromF16 = Torch.toFloats(Torch.fromBytes(st.data("w.f16"), DType.F16, n));
            float[] fromBF16 = Torch.toFloats(Torch.fromBytes(st.data("w.bf16"), DType.BF16, 7, 15));
            for (int i = 0; i < n; i++) {
                if (i == 4) continue; // NaN: compared as bytes above
                assertEquals(Float.floatToRawIntBits(f32[i]), Float.floatToRawIntBits(fromF32[i]), "f32[" + i + "]");
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(f32[i])), fromF16[i], 0f, "f16[" + i + "]");
                assertEquals(Float.intBitsToFloat(Float.floatToRawIntBits(f32[i]) & 0xffff0000), fromBF16[i], 0f, "bf16[" + i + "]");
            }
            assertTrue(Float.isNaN(fromF32[4]) && Float.isNaN(fromF16[4]) && Float.isNaN(fromBF16[4]));
            assertArrayEquals(i64, Torch.toLongs(Torch.fromBytes(st.data("ids.i64"), DType.I64, 5, 21)));
            assertArrayEquals(new float[]{2.5f}, Torch.toFloats(Torch.fromBytes(st.data("scalar"), DType.F32)));
            assertEquals(0, st.data("empty").remaining());
        }
    }

    @Test
    void writerPadsHeaderAndLaysTensorsOutBackToBack() throws IOException {
        Path file = tmp.resolve("layout.safetensors");
        Map<String, SafeTensorsWriter.Entry> entries = new LinkedHashMap<>();
        entries.put("a", new SafeTensorsWriter.Entry(DType.F16, new long[]{3}, le(6).putShort((short) 1).putShort((short) 2).putShort((short) 3).flip()));
        entries.put("b", new SafeTensorsWriter.Entry(DType.I64, new long[]{1}, le(8).putLong(-7).flip()));
        SafeTensorsWriter.write(file, entries, null);
        byte[] raw = Files.readAllBytes(file);
        long headerLen = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, headerLen % 8, "header length is padded to 8 bytes");
        assertEquals(8 + headerLen + 6 + 8, raw.length, "no gaps, nothing after the data");
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(0, st.info("a").begin());
            assertEquals(6, st.info("a").end());
            assertEquals(6, st.info("b").begin());
            assertEquals(-7, st.data("b").getLong(0));
        }
        // only the target remains: the temporary file was renamed over it
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(file), s.toList());
        }
    }

    @Test
    void fromBytesCopiesTheRemainingBytesOfHeapAndDirectBuffers() {
        byte[] payload = new byte[4 * 6];
        ByteBuffer v = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) v.putFloat(i + 0.25f);
        for (boolean direct : new boolean[]{false, true}) {
            // 3 junk bytes before and after the payload: only [position, limit) may be copied
            ByteBuffer buf = direct ? ByteBuffer.allocateDirect(payload.length + 6) : ByteBuffer.allocate(payload.length + 6);
            buf.put(new byte[]{9, 9, 9}).put(payload).put(new byte[]{9, 9, 9});
            buf.position(3).limit(3 + payload.length);
            try (PointerScope scope = new PointerScope()) {
                Tensor t = Torch.fromBytes(buf, DType.F32, 2, 3);
                assertArrayEquals(new float[]{0.25f, 1.25f, 2.25f, 3.25f, 4.25f, 5.25f}, Torch.toFloats(t), 0f, direct ? "direct" : "heap");
                assertEquals(3, buf.position(), "the caller's buffer is not consumed");
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Torch.fromBytes(ByteBuffer.allocate(10), DType.F32, 2, 3));
        assertTrue(e.getMessage().contains("10 bytes") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    @Test
    void checkpointConvertsDtypeOnRequest() {
        Path dir = tmp.resolve("half");
        ByteBuffer b = le(8);
        float[] vals = {1.5f, -2.25f, 65504f, 0.0001f};
        for (float f : vals) b.putShort(Float.floatToFloat16(f));
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), Map.of("w", new SafeTensorsWriter.Entry(DType.F16, new long[]{2, 2}, b.flip())), null);
        try (Checkpoint ck = Checkpoint.open(dir); PointerScope scope = new PointerScope()) {
            Tensor t = ck.tensor("w", DType.F32, 2, 2);
            assertEquals(DType.F32, Torch.dtype(t.scalar_type()));
            for (int i = 0; i < 4; i++) assertEquals(Float.float16ToFloat(Float.floatToFloat16(vals[i])), Torch.toFloats(t)[i], 0f);
            assertEquals(DType.F16, Torch.dtype(ck.tensor("w", DType.F16, 2, 2).scalar_type()));
        }
    }

    // ---------------------------------------------------------------- sharded checkpoint

    @Test
    void shardedCheckpointEqualsTheSingleFile() throws IOException {
        Path dir = tmp.resolve("sharded");
        Files.createDirectories(dir);
        Map<String, byte[]> reference = new LinkedHashMap<>();
        Map<String, long[]> shapes = new HashMap<>();
        ObjectNode weightMap = new ObjectMapper().createObjectNode();
        long total = 0;
        try (SafeTensors single = SafeTensors.open(LLAMA_TINY.resolve("model.safetensors"))) {
            List<String> names = new ArrayList<>(single.tensors().keySet());
            assertTrue(names.size() >= 4, "llama-tiny has " + names.size() + " tensors");
            Map<String, SafeTensorsWriter.Entry> shard1 = new LinkedHashMap<>(), shard2 = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                TensorInfo info = single.info(name);
                ByteBuffer data = single.data(name);
                reference.put(name, bytes(data));
                shapes.put(name, info.shape());
                total += info.byteSize();
                boolean first = i % 2 == 0; // interleave, so both shards hold every kind of tensor
                (first ? shard1 : shard2).put(name, new SafeTensorsWriter.Entry(info.dtype(), info.shape(), data));
                weightMap.put(name, first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
            }
            SafeTensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), shard1, null);
            SafeTensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), shard2, null);
        }
        ObjectNode index = new ObjectMapper().createObjectNode();
        index.putObject("metadata").put("total_size", total);
        index.set("weight_map", weightMap);
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toPrettyString());

        try (Checkpoint sharded = Checkpoint.open(dir); Checkpoint single = Checkpoint.open(LLAMA_TINY)) {
            assertEquals(reference.keySet(), sharded.names());
            assertEquals(single.names(), sharded.names());
            for (String name : reference.keySet()) {
                try (PointerScope scope = new PointerScope()) {
                    Tensor a = sharded.tensor(name, DType.F32, shapes.get(name));
                    Tensor b = single.tensor(name, DType.F32, shapes.get(name));
                    assertArrayEquals(reference.get(name), bytes(Torch.toBytes(a)), name);
                    assertArrayEquals(bytes(Torch.toBytes(b)), bytes(Torch.toBytes(a)), name);
                }
            }
            // a shape error from the sharded checkpoint names the shard that holds the tensor
            String second = new ArrayList<>(reference.keySet()).get(1);
            var e = assertThrows(CheckpointException.class, () -> sharded.tensor(second, DType.F32, 1, 2, 3));
            assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- malformed files

    @Test
    void truncatedFileNamesFileAndTensor() throws IOException {
        Path good = tmp.resolve("good.safetensors");
        Map<String, SafeTensorsWriter.Entry> entries = new LinkedHashMap<>();
        entries.put("first", new SafeTensorsWriter.Entry(DType.F32, new long[]{4}, le(16).putFloat(1).putFloat(2).putFloat(3).putFloat(4).flip()));
        entries.put("second", new SafeTensorsWriter.Entry(DType.F32, new long[]{8}, le(32)));
        SafeTensorsWriter.write(good, entries, null);
        byte[] raw = Files.readAllBytes(good);
        Path cut = tmp.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(raw, raw.length - 10)); // the download stopped 10 bytes early
        var e = assertError(() -> SafeTensors.open(cut), cut.toString(), "'second'", "[16, 48]", "outside the data section of 38 bytes", "truncated");
        assertFalse(e.getMessage().contains("'first'"), e.getMessage());
    }

    @Test
    void headerLengthPastEndOfFile() throws IOException {
        Path f = craft("longheader.safetensors", 1000L, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        assertError(() -> SafeTensors.open(f), f.toString(), "header length 1000", "past the end of the file", "truncated");
    }

    @Test
    void implausibleHeaderLength() throws IOException {
        for (long len : new long[]{0, -5, 1L << 40}) {
            Path f = craft("badlen" + Long.toHexString(len) + ".safetensors", len, "{}", new byte[0]);
            assertError(() -> SafeTensors.open(f), f.toString(), "header length " + len, "not plausible", "not a safetensors file");
        }
    }

    @Test
    void fileShorterThanEightBytes() throws IOException {
        Path f = tmp.resolve("tiny.safetensors");
        Files.write(f, new byte[]{1, 2, 3, 4, 5});
        assertError(() -> SafeTensors.open(f), f.toString(), "5 bytes", "too short");
        Path empty = tmp.resolve("empty.safetensors");
        Files.write(empty, new byte[0]);
        assertError(() -> SafeTensors.open(empty), empty.toString(), "0 bytes", "too short");
    }

    @Test
    void overlappingOffsets() throws IOException {
        Path f = craft("overlap.safetensors", AUTO, """
                {"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},
                 "b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}""", new byte[24]);
        assertError(() -> SafeTensors.open(f), f.toString(), "'b'", "overlaps tensor 'a'", "[8, 24)", "[0, 16)");
    }

    @Test
    void outOfRangeOffsets() throws IOException {
        Path f = craft("range.safetensors", AUTO, """
                {"ok":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
                 "far":{"dtype":"F32","shape":[4],"data_offsets":[48,64]}}""", new byte[32]);
        assertError(() -> SafeTensors.open(f), f.toString(), "'far'", "[48, 64]", "outside the data section of 32 bytes");
        Path neg = craft("negative.safetensors", AUTO, "{\"n\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", new byte[8]);
        assertError(() -> SafeTensors.open(neg), neg.toString(), "'n'", "[-4, 0]", "outside the data section");
        Path backwards = craft("backwards.safetensors", AUTO, "{\"r\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", new byte[8]);
        assertError(() -> SafeTensors.open(backwards), backwards.toString(), "'r'", "[8, 4]", "outside the data section");
    }

    @Test
    void byteCountNotMatchingShape() throws IOException {
        Path f = craft("size.safetensors", AUTO, "{\"w\":{\"dtype\":\"BF16\",\"shape\":[3,3],\"data_offsets\":[0,16]}}", new byte[16]);
        assertError(() -> SafeTensors.open(f), f.toString(), "'w'", "holds 16 bytes", "BF16", "needs 18");
    }

    @Test
    void absurdShapeIsRejectedNotOverflowed() throws IOException {
        // 2^62 elements × 4 bytes overflows a long to 0: it must not pass as a 0-byte tensor
        Path f = craft("huge.safetensors", AUTO, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", new byte[0]);
        assertError(() -> SafeTensors.open(f), f.toString(), "'w'", "[4611686018427387904]");
        Path g = craft("huge2.safetensors", AUTO, "{\"w\":{\"dtype\":\"F16\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", new byte[0]);
        assertError(() -> SafeTensors.open(g), g.toString(), "'w'", "[4294967296,4294967296]");
    }

    @Test
    void unknownDtype() throws IOException {
        Path f = craft("dtype.safetensors", AUTO, "{\"q\":{\"dtype\":\"F8_E9\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4]);
        assertError(() -> SafeTensors.open(f), f.toString(), "'q'", "unknown dtype 'F8_E9'", "F32, F16, BF16");
    }

    @Test
    void headerNotJson() throws IOException {
        Path f = craft("notjson.safetensors", AUTO, "{\"a\": [1, 2,, oops", new byte[8]);
        assertError(() -> SafeTensors.open(f), f.toString(), "header is not valid JSON");
        Path arr = craft("array.safetensors", AUTO, "[1, 2, 3]", new byte[8]);
        assertError(() -> SafeTensors.open(arr), arr.toString(), "not a JSON object");
        Path entry = craft("entry.safetensors", AUTO, "{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]);
        assertError(() -> SafeTensors.open(entry), entry.toString(), "'x'", "lacks dtype, shape or data_offsets");
    }

    @Test
    void missingFile() {
        Path f = tmp.resolve("nowhere.safetensors");
        assertError(() -> SafeTensors.open(f), f.toString(), "file not found");
        Path empty = tmp.resolve("emptydir");
        assertDoesNotThrow(() -> Files.createDirectories(empty));
        assertError(() -> Checkpoint.open(empty), empty.toString(), "no model.safetensors or model.safetensors.index.json");
    }

    @Test
    void missingTensor() {
        try (Checkpoint ck = Checkpoint.open(LLAMA_TINY)) {
            assertError(() -> ck.tensor("model.layers.7.mlp.up_proj.weight", DType.F32, 128, 64),
                    LLAMA_TINY.toString(), "'model.layers.7.mlp.up_proj.weight'", "missing from the checkpoint", ck.names().size() + " tensors present");
        }
        try (SafeTensors st = SafeTensors.open(LLAMA_TINY.resolve("model.safetensors"))) {
            assertError(() -> st.data("nope"), st.file().toString(), "'nope'", "missing");
        }
    }

    @Test
    void wrongShape() {
        try (Checkpoint ck = Checkpoint.open(LLAMA_TINY)) {
            assertError(() -> ck.tensor("model.layers.0.self_attn.k_proj.weight", DType.F32, 64, 64),
                    LLAMA_TINY.resolve("model.safetensors").toString(), "'model.layers.0.self_attn.k_proj.weight'",
                    "has shape [32, 64]", "implies [64, 64]");
            assertError(() -> ck.tensor("model.norm.weight", DType.F32),
                    "model.safetensors", "'model.norm.weight'", "has shape [64]", "implies []");
        }
    }

    @Test
    void integerTensorRequestedAsFloat() {
        Path dir = tmp.resolve("int");
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), Map.of("pos", new SafeTensorsWriter.Entry(DType.I64, new long[]{2}, le(16).putLong(1).putLong(2).flip())), null);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertError(() -> ck.tensor("pos", DType.F32, 2), dir.resolve("model.safetensors").toString(), "'pos'", "has dtype I64", "float was expected");
        }
    }

    @Test
    void indexListsTensorAbsentFromItsShard() throws IOException {
        Path dir = tmp.resolve("badindex");
        SafeTensorsWriter.write(dir.resolve("model-00001-of-00001.safetensors"),
                Map.of("real.weight", new SafeTensorsWriter.Entry(DType.F32, new long[]{1}, le(4).putFloat(1).flip())), null);
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"metadata": {"total_size": 8},
                 "weight_map": {"real.weight": "model-00001-of-00001.safetensors",
                                "ghost.weight": "model-00001-of-00001.safetensors"}}""");
        assertError(() -> Checkpoint.open(dir), dir.resolve("model-00001-of-00001.safetensors").toString(), "'ghost.weight'",
                "listed in model.safetensors.index.json but not in the shard");
    }

    @Test
    void indexNamingAMissingShardOrBroken() throws IOException {
        Path dir = tmp.resolve("noshard");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\":{\"total_size\":4},\"weight_map\":{\"w\":\"model-00002-of-00002.safetensors\"}}");
        assertError(() -> Checkpoint.open(dir), dir.resolve("model-00002-of-00002.safetensors").toString(), "file not found");

        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{\"total_size\":4}}");
        assertError(() -> Checkpoint.open(dir), dir.resolve("model.safetensors.index.json").toString(), "has no weight_map");

        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {");
        assertError(() -> Checkpoint.open(dir), dir.resolve("model.safetensors.index.json").toString(), "unreadable index");
    }

    @Test
    void duplicateTensorAcrossUnindexedFiles() {
        Path dir = tmp.resolve("dupes");
        var entry = Map.of("w", new SafeTensorsWriter.Entry(DType.F32, new long[]{1}, le(4).putFloat(1).flip()));
        SafeTensorsWriter.write(dir.resolve("a.safetensors"), entry, null);
        SafeTensorsWriter.write(dir.resolve("b.safetensors"), entry, null);
        assertError(() -> Checkpoint.open(dir), dir.resolve("b.safetensors").toString(), "'w'", "also present in " + dir.resolve("a.safetensors"));
    }

    // ---------------------------------------------------------------- helpers

    /** Asserts a CheckpointException whose message contains every fragment. */
    static CheckpointException assertError(Executable body, String... fragments) {
        CheckpointException e = assertThrows(CheckpointException.class, body);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
        return e;
    }

    static final long AUTO = Long.MIN_VALUE;

    /** A hand-made file: 8-byte LE header length (the JSON's length when {@link #AUTO}), JSON, data. */
    Path craft(String name, long declaredLen, String json, byte[] data) throws IOException {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = le(8 + j.length + data.length);
        b.putLong(declaredLen == AUTO ? j.length : declaredLen).put(j).put(data);
        Path f = tmp.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
