package dev.auris.fuzz;

import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.audio.AudioException;
import dev.auris.audio.Wav;
import dev.auris.core.DType;
import dev.auris.features.LogMel;
import dev.auris.io.Checkpoint;
import dev.auris.io.CheckpointException;
import dev.auris.io.Npy;
import dev.auris.io.SafeTensors;
import dev.auris.tokenizer.HfTokenizer;
import dev.auris.tokenizer.Llama2cTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The hostile inputs of issue 23 that reach auris-core's readers, each refused by a Java exception whose
 * message names the problem before anything is allocated from a size the input claims or handed to
 * libtorch (the model-side cases: auris-model's {@code HostileInputTest}; GGUF: {@code GgufHostileTest}).
 */
class HostileInputTest {
    @TempDir
    Path tmp;

    static final int PCM = 1, FLOAT = 3;

    static <T extends Throwable> void refused(Class<T> type, Executable e, String... says) {
        T t = assertThrows(type, e);
        for (String s : says) assertTrue(t.getMessage().contains(s), "'" + t.getMessage() + "' should say '" + s + "'");
    }

    /** A RIFF/WAVE file with one fmt chunk and a data chunk whose size field is {@code declared}, followed by {@code data}. */
    static byte[] wav(int format, int channels, int rate, int bits, long declared, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(44 + data.length).order(ByteOrder.LITTLE_ENDIAN);
        int align = channels * bits / 8;
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt((int) Math.min(0xFFFFFFFFL, 36 + declared)).put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) format).putShort((short) channels).putInt(rate)
                .putInt(rate * align).putShort((short) align).putShort((short) bits);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt((int) declared).put(data);
        return b.array();
    }

    static byte[] floats(float... x) {
        ByteBuffer b = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : x) b.putFloat(f);
        return b.array();
    }

    // ------------------------------------------------------------------ audio

    @Test
    void zeroLengthClip() throws Exception {
        refused(AudioException.class, () -> Wav.read(wav(PCM, 1, 16000, 16, 0, new byte[0]), "empty.wav"), "empty.wav", "no audio samples");
        Path empty = Files.write(tmp.resolve("zero.wav"), new byte[0]);
        refused(AudioException.class, () -> Audio.load(empty), "zero.wav", "empty");
        refused(AudioException.class, () -> LogMel.of(80, 160).compute(new AudioClip(new float[0], 16000), 0), "too short");
    }

    @Test
    void tenHourClipClaimedByTheHeader() {
        long tenHours = 10L * 3600 * 16000 * 2; // 16-bit mono at 16 kHz: 1.15 GB declared, 1 s present
        byte[] bytes = wav(PCM, 1, 16000, 16, tenHours, new byte[32000]);
        refused(AudioException.class, () -> Wav.read(bytes, "ten-hours.wav"), "ten-hours.wav", "declares " + tenHours + " bytes", "only 32000 are present");
    }

    @Test
    void headerClaiming2To31Samples() {
        long samples = 1L << 31; // 8-bit mono: the data size field says 2^31 bytes = 2^31 samples
        byte[] bytes = wav(PCM, 1, 16000, 8, samples, new byte[100]);
        refused(AudioException.class, () -> Wav.read(bytes, "2^31.wav"), "2^31.wav", "declares " + samples + " bytes", "truncated");
        // as float32 stereo the same field is 2^28 frames: still refused against the 100 bytes present
        refused(AudioException.class, () -> Wav.read(wav(FLOAT, 2, 16000, 32, samples, new byte[96]), "f.wav"), "declares " + samples);
    }

    @Test
    void nanAndInfinitySamples() {
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            byte[] bytes = wav(FLOAT, 1, 16000, 32, 16, floats(0.1f, 0.2f, bad, 0.3f));
            refused(AudioException.class, () -> Wav.read(bytes, "nan.wav"), "nan.wav", "sample 2 is " + bad);
        }
        ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.5).putDouble(1e300); // finite double, infinite float
        refused(AudioException.class, () -> Wav.read(wav(FLOAT, 1, 16000, 64, 16, d.array()), "f64.wav"), "sample 1 is Infinity");
        float[] x = new float[16000];
        x[777] = Float.NaN;
        refused(AudioException.class, () -> LogMel.of(80, 160).compute(new AudioClip(x, 16000), 0), "sample 777", "NaN");
    }

    @Test
    void oddChunkRunningPastTheEndAndAbsurdFormats() {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        byte[] good = wav(PCM, 1, 16000, 16, 4, new byte[4]);
        o.writeBytes(java.util.Arrays.copyOf(good, 36)); // RIFF + fmt
        o.writeBytes("LIST".getBytes(StandardCharsets.US_ASCII));
        o.writeBytes(new byte[]{(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F}); // a 2 GiB odd-sized chunk in a 60-byte file
        o.writeBytes(new byte[16]);
        refused(AudioException.class, () -> Wav.read(o.toByteArray(), "odd.wav"), "odd.wav", "no data chunk");
        refused(AudioException.class, () -> Wav.read(wav(PCM, 1, 16000, 12, 4, new byte[4]), "12bit.wav"), "unsupported encoding");
        refused(AudioException.class, () -> Wav.read(wav(PCM, 0xFFFF, 16000, 32, 4, new byte[4]), "chans.wav"), "block align");
        refused(AudioException.class, () -> Wav.read(wav(PCM, 1, -1, 16, 4, new byte[4]), "rate.wav"), "implausible sample rate");
    }

    // ------------------------------------------------------------ safetensors

    static Path safetensors(Path file, long headerLen, String header, byte[] data) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen < 0 ? h.length : headerLen).put(h).put(data);
        return Files.write(file, b.array());
    }

    @Test
    void safetensorsHeaderLengthOf2To60() throws Exception {
        Path f = safetensors(tmp.resolve("huge.safetensors"), 1L << 60, "{}", new byte[0]);
        refused(CheckpointException.class, () -> SafeTensors.open(f), f.toString(), "header length " + (1L << 60), "not plausible");
    }

    @Test
    void tensorsOutsideTheFileOrOverlapping() throws Exception {
        Path out = safetensors(tmp.resolve("out.safetensors"), -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1024],\"data_offsets\":[0,4096]}}", new byte[16]);
        refused(CheckpointException.class, () -> SafeTensors.open(out), out.toString(), "'w'", "outside the data section of 16 bytes");
        Path neg = safetensors(tmp.resolve("neg.safetensors"), -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", new byte[16]);
        refused(CheckpointException.class, () -> SafeTensors.open(neg), "'w'", "outside the data section");
        Path over = safetensors(tmp.resolve("over.safetensors"), -1, """
                {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]);
        refused(CheckpointException.class, () -> SafeTensors.open(over), over.toString(), "'b'", "overlaps tensor 'a'");
        Path big = safetensors(tmp.resolve("big.safetensors"), -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", new byte[4]);
        refused(CheckpointException.class, () -> SafeTensors.open(big), "'w'", "overflows 64 bits");
    }

    @Test
    void aDtypeTheFileDoesNotHave() throws Exception {
        Path fp8 = safetensors(tmp.resolve("fp8.safetensors"), -1, "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4]);
        refused(CheckpointException.class, () -> SafeTensors.open(fp8), fp8.toString(), "'w'", "unknown dtype 'F8_E4M3'");
        Path ints = safetensors(tmp.resolve("model.safetensors"), -1, "{\"w\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]);
        try (Checkpoint c = Checkpoint.of(tmp, List.of(ints))) {
            refused(CheckpointException.class, () -> c.tensor("w", DType.F32, 2), "'w'", "has dtype I32, a float was expected");
            refused(CheckpointException.class, () -> c.tensor("w", DType.F32, 3), "'w'", "has shape [2]", "implies [3]");
            refused(CheckpointException.class, () -> c.tensor("lm_head.weight", DType.F32, 2), "'lm_head.weight'", "missing");
        }
    }

    // ------------------------------------------------------------ npy, tokenizers

    @Test
    void npyClaimingMoreThanItHolds() {
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length()).put(header.getBytes(StandardCharsets.ISO_8859_1));
        refused(IllegalArgumentException.class, () -> Npy.read(b.array(), "mel.npy"), "mel.npy", "needs 4000000000000000000 bytes, only 16");
        String neg = header.replace("1000000000, 1000000000", "-3, 4");
        ByteBuffer n = ByteBuffer.allocate(10 + neg.length()).order(ByteOrder.LITTLE_ENDIAN);
        n.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) neg.length()).put(neg.getBytes(StandardCharsets.ISO_8859_1));
        refused(IllegalArgumentException.class, () -> Npy.read(n.array(), "neg.npy"), "negative dimension -3");
    }

    @Test
    void tokenizerFilesThatLie() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(8).putFloat(0f).putInt(Integer.MAX_VALUE).putInt(0);
        Path bin = Files.write(tmp.resolve("tokenizer.bin"), b.array());
        refused(IllegalArgumentException.class, () -> Llama2cTokenizer.load(bin, -1), "tokenizer.bin", "bad length " + Integer.MAX_VALUE);
        Path json = Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": {\"type\": \"NoSuchModel\"}}");
        refused(IllegalArgumentException.class, () -> HfTokenizer.load(json), "tokenizer.json", "not a tokenizer");
    }
}
