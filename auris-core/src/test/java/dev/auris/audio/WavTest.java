package dev.auris.audio;

import dev.auris.core.Home;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * WAV decoding contract: every PCM width, float, WAVE_FORMAT_EXTENSIBLE and multichannel files decode to
 * the written samples within half a quantization step; broken files fail with an {@link AudioException}
 * that names the file and the problem. Files are built byte by byte here, not by the code under test.
 */
class WavTest {
    static final int PCM = 1, FLOAT = 3, EXTENSIBLE = 0xFFFE;

    @TempDir
    Path tmp;

    // ---------------------------------------------------------------- decoding

    /** 0.3 s of a 440 Hz sine at 0.8 plus the extremes -1, +1 (clipped by the encoder to its largest code). */
    static float[] signal(int rate) {
        int n = rate * 3 / 10;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (0.8 * Math.sin(2 * Math.PI * 440 * i / rate));
        x[0] = -1f;
        x[1] = 1f;
        x[2] = 0f;
        return x;
    }

    @Test
    void pcm8() {
        checkInt(8, 44100);
        checkInt(8, 8000);
    }

    @Test
    void pcm16() {
        checkInt(16, 44100);
        checkInt(16, 8000);
    }

    @Test
    void pcm24() {
        checkInt(24, 44100);
        checkInt(24, 8000);
    }

    @Test
    void pcm32() {
        checkInt(32, 44100);
        checkInt(32, 8000);
    }

    private void checkInt(int bits, int rate) {
        float[] x = signal(rate);
        byte[] data = encode(x, bits, false);
        AudioClip clip = Wav.read(riff(fmt(PCM, 1, rate, bits), data), "pcm" + bits + ".wav");
        assertEquals(rate, clip.sampleRate());
        assertEquals(x.length, clip.samples().length);
        double step = Math.pow(2, -(bits - 1));           // one LSB in [-1, 1)
        double tol = step / 2 + 1e-7;                      // half a step (+ float rounding for 32-bit)
        double maxErr = maxErr(x, clip.samples(), 3, x.length);
        assertTrue(maxErr <= tol, bits + "-bit @" + rate + ": max error " + maxErr + " > " + tol);
        assertTrue(maxErr > 0 || bits == 32, "a sine cannot be exact in " + bits + " bits: the test signal is wrong");
        assertEquals(-1f, clip.samples()[0], 0f, "the most negative code is exactly -1");
        assertEquals(1 - step, clip.samples()[1], 1e-7, "the most positive code is 1 - 1 LSB");
        assertEquals(0f, clip.samples()[2], 0f, "the zero code is exactly 0");
    }

    @Test
    void float32() {
        for (int rate : new int[]{44100, 8000}) {
            float[] x = signal(rate);
            x[3] = 1.5f;  // float WAVs may exceed [-1, 1]: no clipping on read
            AudioClip clip = Wav.read(riff(fmt(FLOAT, 1, rate, 32), encode(x, 32, true)), "float.wav");
            assertEquals(rate, clip.sampleRate());
            assertArrayEquals(x, clip.samples(), 0f);
        }
    }

    @Test
    void float64() {
        float[] x = signal(16000);
        ByteBuffer b = le(x.length * 8);
        for (float v : x) b.putDouble(v);
        AudioClip clip = Wav.read(riff(fmt(FLOAT, 1, 16000, 64), b.array()), "double.wav");
        assertArrayEquals(x, clip.samples(), 0f);
    }

    @Test
    void waveFormatExtensible() {
        float[] x = signal(44100);
        AudioClip pcm = Wav.read(riff(fmtExtensible(PCM, 1, 44100, 24), encode(x, 24, false)), "ext24.wav");
        assertEquals(44100, pcm.sampleRate());
        assertEquals(x.length, pcm.samples().length);
        assertTrue(maxErr(x, pcm.samples(), 3, x.length) <= Math.pow(2, -24) + 1e-7);
        AudioClip flt = Wav.read(riff(fmtExtensible(FLOAT, 1, 8000, 32), encode(signal(8000), 32, true)), "extf.wav");
        assertEquals(8000, flt.sampleRate());
        assertArrayEquals(signal(8000), flt.samples(), 0f);
    }

    @Test
    void stereoIsAveragedToMono() {
        for (int rate : new int[]{44100, 8000}) {
            float[] l = signal(rate);
            float[] r = new float[l.length];
            for (int i = 0; i < r.length; i++) r[i] = (float) (0.5 * Math.cos(2 * Math.PI * 1000 * i / rate));
            byte[] data = interleave(encode(l, 16, false), encode(r, 16, false), 2);
            AudioClip clip = Wav.read(riff(fmt(PCM, 2, rate, 16), data), "stereo.wav");
            assertEquals(rate, clip.sampleRate());
            assertEquals(l.length, clip.samples().length, "frames, not samples");
            for (int i = 0; i < l.length; i++) {
                double want = (q16(l[i]) + q16(r[i])) / 2.0 / 32768.0;  // exact mean of the stored codes
                assertEquals(want, clip.samples()[i], 1e-7, "frame " + i);
            }
            // same through the extensible header, 24-bit
            byte[] d24 = interleave(encode(l, 24, false), encode(r, 24, false), 3);
            AudioClip c24 = Wav.read(riff(fmtExtensible(PCM, 2, rate, 24), d24), "stereo24.wav");
            for (int i = 3; i < l.length; i++) assertEquals((l[i] + r[i]) / 2, c24.samples()[i], Math.pow(2, -24) + 1e-7, "frame " + i);
        }
    }

    @Test
    void skipsUnknownChunksIncludingOddSizedOnes() {
        float[] x = signal(8000);
        byte[] fmt = fmt(PCM, 1, 8000, 16);
        byte[] list = chunk("LIST", "INFOISFT\5\0\0\0abcd\0".getBytes(StandardCharsets.ISO_8859_1)); // 17 bytes + pad byte
        byte[] odd = chunk("junk", new byte[]{1, 2, 3});
        AudioClip clip = Wav.read(riffOf(chunk("fmt ", fmt), list, odd, chunk("data", encode(x, 16, false))), "chunks.wav");
        assertEquals(x.length, clip.samples().length);
        assertTrue(maxErr(x, clip.samples(), 3, x.length) <= 0.5 / 32768 + 1e-7);
    }

    @Test
    void writeThenReadRoundTrip() {
        float[] x = signal(16000);
        x[3] = 1.7f;   // clipped to 1 on write
        x[4] = -3f;    // clipped to -1
        Path f = tmp.resolve("out/rt.wav");
        Wav.write(f, new AudioClip(x, 16000));
        AudioClip back = Wav.read(f);
        assertEquals(16000, back.sampleRate());
        assertEquals(x.length, back.samples().length);
        for (int i = 0; i < x.length; i++) {
            double want = Math.max(-1, Math.min(1, x[i]));
            assertEquals(want, back.samples()[i], 1.5 / 32768, "sample " + i);
        }
        assertEquals(44 + 2L * x.length, assertDoesNotThrow(() -> Files.size(f)), "canonical 44-byte header, 16-bit mono");
        // and Audio.load on a 16 kHz file is the same clip
        assertArrayEquals(back.samples(), Audio.load(f).samples(), 0f);
    }

    @Test
    void loadResamplesTo16k() throws IOException {
        for (int rate : new int[]{44100, 8000}) {
            Path f = tmp.resolve("r" + rate + ".wav");
            float[] x = signal(rate);
            Files.write(f, riff(fmt(PCM, 1, rate, 16), encode(x, 16, false)));
            AudioClip native_ = Audio.loadNative(f);
            assertEquals(rate, native_.sampleRate());
            AudioClip clip = Audio.load(f);
            assertEquals(16000, clip.sampleRate());
            assertEquals((long) Math.ceil(x.length * 16000.0 / rate), clip.samples().length);
            assertEquals(0.3, clip.seconds(), 1e-3);
        }
    }

    @Test
    void jfk() {
        AudioClip clip = Audio.load(Home.resolve("assets/speech/jfk.wav"));
        assertEquals(16000, clip.sampleRate());
        assertEquals(176000, clip.samples().length);
        assertEquals(11.0, clip.seconds(), 1e-9);
        double peak = 0, sum = 0;
        for (float v : clip.samples()) {
            peak = Math.max(peak, Math.abs(v));
            sum += v * v;
        }
        assertTrue(peak > 0.1 && peak <= 1, "peak " + peak);
        assertTrue(Math.sqrt(sum / clip.samples().length) > 0.01, "speech, not silence");
    }

    // ---------------------------------------------------------------- errors

    @Test
    void notAWav() {
        byte[] junk = new byte[4096];
        new Random(1).nextBytes(junk);
        assertError(() -> Wav.read(junk, "noise.bin"), "noise.bin", "not a WAV file", "no RIFF/WAVE header");
        byte[] riffNotWave = riff(fmt(PCM, 1, 8000, 16), new byte[100]);
        System.arraycopy("AVI ".getBytes(StandardCharsets.US_ASCII), 0, riffNotWave, 8, 4);
        assertError(() -> Wav.read(riffNotWave, "movie.avi"), "movie.avi", "not a WAV file");
    }

    @Test
    void truncatedDataChunk() throws IOException {
        byte[] full = riff(fmt(PCM, 1, 16000, 16), encode(signal(16000), 16, false)); // 4800 samples, 9600 bytes
        byte[] cut = Arrays.copyOf(full, full.length - 5000);
        Path f = tmp.resolve("cut.wav");
        Files.write(f, cut);
        assertError(() -> Wav.read(f), f.toString(), "data chunk declares 9600 bytes but only 4600 are present", "truncated");
        assertError(() -> Audio.load(f), f.toString(), "truncated");
    }

    @Test
    void truncatedHeaders() {
        byte[] onlyRiff = Arrays.copyOf(riff(fmt(PCM, 1, 16000, 16), new byte[2]), 12);
        assertError(() -> Wav.read(onlyRiff, "head.wav"), "head.wav", "no fmt chunk");
        byte[] noData = riffOf(chunk("fmt ", fmt(PCM, 1, 16000, 16)));
        assertError(() -> Wav.read(noData, "nodata.wav"), "nodata.wav", "no data chunk");
        byte[] shortFmt = Arrays.copyOf(riff(fmt(PCM, 1, 16000, 16), new byte[2]), 12 + 8 + 10);
        assertError(() -> Wav.read(shortFmt, "fmt.wav"), "fmt.wav", "fmt chunk is truncated");
        byte[] dataFirst = riffOf(chunk("data", new byte[4]), chunk("fmt ", fmt(PCM, 1, 16000, 16)));
        assertError(() -> Wav.read(dataFirst, "order.wav"), "order.wav", "data chunk comes before the fmt chunk");
    }

    @Test
    void zeroChannels() {
        byte[] f = riff(fmt(PCM, 0, 16000, 16), new byte[64]);
        assertError(() -> Wav.read(f, "mono0.wav"), "mono0.wav", "0 channels");
    }

    @Test
    void absurdSampleRatesAndSizes() {
        for (long rate : new long[]{0, 2_000_000_000L, 0xFFFFFFFFL}) {
            byte[] f = riff(fmt(PCM, 1, (int) rate, 16), new byte[64]);
            assertError(() -> Wav.read(f, "rate.wav"), "rate.wav", "implausible sample rate " + rate + " Hz");
        }
        // a data chunk claiming 2 GiB in a 1 kB file
        byte[] f = riff(fmt(PCM, 1, 16000, 16), new byte[1000]);
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(12 + 8 + 16 + 4, 0x7FFFFFF0);
        assertError(() -> Wav.read(f, "huge.wav"), "huge.wav", "declares 2147483632 bytes but only 1000 are present");
        // unsupported widths and a block align that contradicts the format
        assertError(() -> Wav.read(riff(fmt(PCM, 1, 16000, 12), new byte[64]), "w12.wav"), "w12.wav", "unsupported encoding (format 1, 12 bits)");
        assertError(() -> Wav.read(riff(fmt(FLOAT, 1, 16000, 16), new byte[64]), "f16.wav"), "f16.wav", "unsupported encoding (format 3, 16 bits)");
        assertError(() -> Wav.read(riff(fmt(0x55, 1, 16000, 16), new byte[64]), "mp3.wav"), "mp3.wav", "unsupported encoding (format 85");
        byte[] align = riff(fmt(PCM, 2, 16000, 16), new byte[64]);
        ByteBuffer.wrap(align).order(ByteOrder.LITTLE_ENDIAN).putShort(12 + 8 + 12, (short) 6);
        assertError(() -> Wav.read(align, "align.wav"), "align.wav", "block align 6 does not match 2 channels × 16 bits");
    }

    @Test
    void emptyAudio() throws IOException {
        assertError(() -> Wav.read(riff(fmt(PCM, 1, 16000, 16), new byte[0]), "silence.wav"), "silence.wav", "contains no audio samples");
        assertError(() -> Wav.read(riff(fmt(PCM, 2, 16000, 24), new byte[5]), "partial.wav"), "partial.wav", "contains no audio samples");
        Path empty = tmp.resolve("empty.wav");
        Files.write(empty, new byte[0]);
        assertError(() -> Audio.load(empty), empty.toString(), "the file is empty");
    }

    @Test
    void missingFile() {
        Path f = tmp.resolve("does-not-exist.wav");
        assertError(() -> Audio.load(f), f.toString(), "file not found");
        assertError(() -> Wav.read(f), f.toString(), "cannot read");
    }

    @Test
    void garbageThroughFfmpegIsAnAudioExceptionNotACrash() throws IOException {
        Path text = tmp.resolve("notes.mp3");
        Files.writeString(text, "This is a text file, not audio. ".repeat(200));
        assertError(() -> Audio.load(text), text.toString(), "not a readable audio file", "Supported: WAV");
        Path noise = tmp.resolve("noise.ogg");
        byte[] junk = new byte[8192];
        new Random(7).nextBytes(junk);
        junk[0] = 'X'; // not RIFF
        Files.write(noise, junk);
        assertError(() -> Audio.load(noise), noise.toString(), "not a readable audio file", "Supported: WAV");
        Path tiny = tmp.resolve("tiny.flac");
        Files.write(tiny, new byte[]{'f', 'L', 'a'});
        AudioException e = assertError(() -> Audio.load(tiny), tiny.toString());
        assertTrue(e.getMessage().contains("not a readable audio file") || e.getMessage().contains("no audio"), e.getMessage());
    }

    /** A non-WAV container through FFmpeg: a FLAC file written here with VERBATIM subframes. */
    @Test
    void flacThroughFfmpeg() throws IOException {
        int rate = 16000;
        float[] x = new float[rate]; // 1 s, 16-bit: 3 full 4096-sample blocks and a short last one
        for (int i = 0; i < x.length; i++) x[i] = (float) (0.6 * Math.sin(2 * Math.PI * 300 * i / rate) + 0.2 * Math.sin(2 * Math.PI * 2500 * i / rate));
        short[] codes = new short[x.length];
        for (int i = 0; i < x.length; i++) codes[i] = (short) q16(x[i]);
        Path f = tmp.resolve("tone.flac");
        Files.write(f, flac(codes, rate));
        AudioClip clip = Audio.load(f);
        assertEquals(16000, clip.sampleRate());
        assertEquals(x.length, clip.samples().length);
        for (int i = 0; i < x.length; i++) assertEquals(codes[i] / 32768f, clip.samples()[i], 1e-6f, "sample " + i);

        // at 44.1 kHz the clip comes back resampled to 16 kHz
        int r2 = 44100;
        short[] c2 = new short[r2 / 2];
        for (int i = 0; i < c2.length; i++) c2[i] = (short) q16((float) (0.5 * Math.sin(2 * Math.PI * 440 * i / r2)));
        Path g = tmp.resolve("tone44k.flac");
        Files.write(g, flac(c2, r2));
        assertEquals(r2, Audio.loadNative(g).sampleRate());
        AudioClip c = Audio.load(g);
        assertEquals(16000, c.sampleRate());
        assertEquals(8000, c.samples().length);
    }

    // ---------------------------------------------------------------- helpers

    static AudioException assertError(Executable body, String... fragments) {
        AudioException e = assertThrows(AudioException.class, body);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
        return e;
    }

    static double maxErr(float[] want, float[] got, int from, int to) {
        double m = 0;
        for (int i = from; i < to; i++) m = Math.max(m, Math.abs(want[i] - got[i]));
        return m;
    }

    static int q16(float v) {
        return (int) Math.max(-32768, Math.min(32767, Math.round(v * 32768.0)));
    }

    /** Samples as little-endian PCM (two's complement; 8-bit is unsigned with offset 128) or float32. */
    static byte[] encode(float[] x, int bits, boolean isFloat) {
        int w = bits / 8;
        ByteBuffer b = le(x.length * w);
        for (float v : x) {
            if (isFloat) {
                b.putFloat(v);
                continue;
            }
            double scale = Math.pow(2, bits - 1);
            long q = Math.max((long) -scale, Math.min((long) scale - 1, Math.round(v * scale)));
            switch (bits) {
                case 8 -> b.put((byte) (q + 128));
                case 16 -> b.putShort((short) q);
                case 24 -> b.put((byte) q).put((byte) (q >> 8)).put((byte) (q >> 16));
                case 32 -> b.putInt((int) q);
                default -> throw new IllegalArgumentException();
            }
        }
        return b.array();
    }

    static byte[] interleave(byte[] a, byte[] b, int width) {
        byte[] out = new byte[a.length + b.length];
        for (int f = 0; f < a.length / width; f++) {
            System.arraycopy(a, f * width, out, 2 * f * width, width);
            System.arraycopy(b, f * width, out, (2 * f + 1) * width, width);
        }
        return out;
    }

    /** The 16-byte body of a plain fmt chunk. */
    static byte[] fmt(int format, int channels, int rate, int bits) {
        int align = channels * bits / 8;
        return le(16).putShort((short) format).putShort((short) channels).putInt(rate).putInt(rate * align)
                .putShort((short) align).putShort((short) bits).array();
    }

    /** The 40-byte body of a WAVE_FORMAT_EXTENSIBLE fmt chunk with sub-format {@code format}. */
    static byte[] fmtExtensible(int format, int channels, int rate, int bits) {
        int align = channels * bits / 8;
        ByteBuffer b = le(40).putShort((short) EXTENSIBLE).putShort((short) channels).putInt(rate).putInt(rate * align)
                .putShort((short) align).putShort((short) bits)
                .putShort((short) 22).putShort((short) bits).putInt(channels == 2 ? 3 : 4) // cbSize, valid bits, channel mask
                .putShort((short) format); // sub-format GUID {0000xxxx-0000-0010-8000-00aa00389b71}
        b.put(new byte[]{0, 0, 0, 0, 0x10, 0, (byte) 0x80, 0, 0, (byte) 0xAA, 0, 0x38, (byte) 0x9B, 0x71});
        return b.array();
    }

    static byte[] chunk(String id, byte[] body) {
        ByteBuffer b = le(8 + body.length + (body.length & 1));
        b.put(id.getBytes(StandardCharsets.US_ASCII)).putInt(body.length).put(body);
        return b.array();
    }

    static byte[] riff(byte[] fmtBody, byte[] data) {
        return riffOf(chunk("fmt ", fmtBody), chunk("data", data));
    }

    static byte[] riffOf(byte[]... chunks) {
        int n = 4;
        for (byte[] c : chunks) n += c.length;
        ByteBuffer b = le(8 + n);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(n).put("WAVE".getBytes(StandardCharsets.US_ASCII));
        for (byte[] c : chunks) b.put(c);
        return b.array();
    }

    static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    // ---- a minimal FLAC writer: STREAMINFO + fixed-blocksize frames of VERBATIM 16-bit mono subframes

    static byte[] flac(short[] samples, int rate) {
        int block = 4096;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("fLaC".getBytes(StandardCharsets.US_ASCII));
        Bits si = new Bits();
        si.put(0x80, 8).put(34, 24);                 // last metadata block, type 0 STREAMINFO, length 34
        si.put(block, 16).put(block, 16).put(0, 24).put(0, 24);
        si.put(rate, 20).put(0, 3).put(15, 5);       // mono, 16 bits per sample
        si.put(samples.length >>> 4, 32).put(samples.length & 0xF, 4); // 36-bit total sample count
        for (int i = 0; i < 16; i++) si.put(0, 8);   // MD5 unknown
        out.writeBytes(si.bytes());
        for (int frame = 0, start = 0; start < samples.length; frame++, start += block) {
            int n = Math.min(block, samples.length - start);
            if (frame >= 128) throw new IllegalArgumentException("single-byte frame numbers only");
            Bits h = new Bits();
            h.put(0xFFF8, 16);                            // sync, reserved 0, fixed block size
            h.put(n == block ? 12 : 7, 4).put(0, 4);      // 12: 4096 samples; 7: 16-bit size-1 follows; rate from STREAMINFO
            h.put(0, 4).put(4, 3).put(0, 1);              // mono, 16 bits, reserved
            h.put(frame, 8);                              // frame number (UTF-8 coded, < 128)
            if (n != block) h.put(n - 1, 16);
            h.put(crc8(h.bytes()), 8);
            h.put(0, 1).put(1, 6).put(0, 1);              // subframe: VERBATIM, no wasted bits
            for (int i = 0; i < n; i++) h.put(samples[start + i] & 0xFFFF, 16);
            byte[] body = h.bytes();
            out.writeBytes(body);
            int crc = crc16(body);
            out.write(crc >> 8);
            out.write(crc & 0xFF);
        }
        return out.toByteArray();
    }

    static int crc8(byte[] b) {
        int crc = 0;
        for (byte x : b) {
            crc ^= x & 0xFF;
            for (int i = 0; i < 8; i++) crc = (crc & 0x80) != 0 ? ((crc << 1) ^ 0x07) & 0xFF : (crc << 1) & 0xFF;
        }
        return crc;
    }

    static int crc16(byte[] b) {
        int crc = 0;
        for (byte x : b) {
            crc ^= (x & 0xFF) << 8;
            for (int i = 0; i < 8; i++) crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x8005) & 0xFFFF : (crc << 1) & 0xFFFF;
        }
        return crc;
    }

    /** MSB-first bit writer (every use here ends byte-aligned). */
    static final class Bits {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private long acc;
        private int n;

        Bits put(long value, int bits) {
            for (int i = bits - 1; i >= 0; i--) {
                acc = (acc << 1) | ((value >>> i) & 1);
                if (++n == 8) {
                    out.write((int) acc);
                    acc = 0;
                    n = 0;
                }
            }
            return this;
        }

        byte[] bytes() {
            if (n != 0) throw new IllegalStateException("not byte-aligned");
            return out.toByteArray();
        }
    }
}
