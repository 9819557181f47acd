package dev.auris.audio;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * RIFF/WAVE: reads PCM 8/16/24/32-bit integer, 32/64-bit float, and WAVE_FORMAT_EXTENSIBLE with those
 * sub-formats, at any rate and channel count (channels are averaged to mono); writes 16-bit PCM mono.
 * Every size field is checked against the bytes actually present.
 */
public final class Wav {
    private static final int PCM = 1, FLOAT = 3, EXTENSIBLE = 0xFFFE;
    /** 24 hours at 384 kHz: anything larger in a header is corrupt, not audio. */
    private static final long MAX_FRAMES = 24L * 3600 * 384_000;
    /** The largest byte[] a JVM allocates: past it readAllBytes is an OutOfMemoryError, not an answer. */
    private static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

    private Wav() {}

    public static boolean looksLikeWav(byte[] head) {
        return head.length >= 12 && head[0] == 'R' && head[1] == 'I' && head[2] == 'F' && head[3] == 'F'
                && head[8] == 'W' && head[9] == 'A' && head[10] == 'V' && head[11] == 'E';
    }

    public static AudioClip read(Path file) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new AudioException(file.toString(), "is " + size + " bytes, more than the " + MAX_FILE_BYTES + " one WAV read takes",
                        "Split the recording into shorter files");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new AudioException(file + ": cannot read: " + e.getMessage(), e);
        }
        return read(bytes, file.toString());
    }

    public static AudioClip read(byte[] bytes, String source) {
        if (!looksLikeWav(bytes)) {
            throw new AudioException(source, "not a WAV file (no RIFF/WAVE header)", "Give a .wav file, or a FLAC/MP3/OGG file, which Auris decodes by its content");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int pos = 12;
        int format = -1, channels = -1, rate = -1, bits = -1, blockAlign = -1;
        while (pos + 8 <= bytes.length) {
            String id = new String(bytes, pos, 4, java.nio.charset.StandardCharsets.US_ASCII);
            long size = Integer.toUnsignedLong(b.getInt(pos + 4));
            int body = pos + 8;
            if (id.equals("fmt ")) {
                if (size < 16 || body + 16 > bytes.length) throw new AudioException(source, "fmt chunk is truncated", "The file is damaged; export it again");
                format = Short.toUnsignedInt(b.getShort(body));
                channels = Short.toUnsignedInt(b.getShort(body + 2));
                rate = b.getInt(body + 4);
                blockAlign = Short.toUnsignedInt(b.getShort(body + 12));
                bits = Short.toUnsignedInt(b.getShort(body + 14));
                if (format == EXTENSIBLE) {
                    if (size < 40 || body + 26 > bytes.length) throw new AudioException(source, "WAVE_FORMAT_EXTENSIBLE fmt chunk is truncated", "The file is damaged; export it again");
                    format = Short.toUnsignedInt(b.getShort(body + 24)); // first two bytes of the sub-format GUID
                }
            } else if (id.equals("data")) {
                if (format < 0) throw new AudioException(source, "data chunk comes before the fmt chunk", "The file is damaged; export it again");
                long available = bytes.length - body;
                if (size == 0xFFFFFFFFL) size = available; // streaming writers leave the size open
                if (size > available) {
                    throw new AudioException(source, "data chunk declares " + size + " bytes but only " + available + " are present (truncated file)",
                            "Export or copy the file again");
                }
                return decode(source, b, body, size, format, channels, rate, bits, blockAlign);
            }
            pos = (int) Math.min(bytes.length, body + size + (size & 1));
        }
        throw new AudioException(source, format < 0 ? "no fmt chunk" : "no data chunk", "The file is damaged or not audio");
    }

    private static AudioClip decode(String source, ByteBuffer b, int off, long size, int format, int channels, int rate, int bits, int blockAlign) {
        if (channels <= 0) throw new AudioException(source, "header says " + channels + " channels", "The file is damaged; export it again");
        if (rate <= 0 || rate > 768_000) throw new AudioException(source, "implausible sample rate " + Integer.toUnsignedString(rate) + " Hz", "The file is damaged; export it again");
        boolean ok = (format == PCM && (bits == 8 || bits == 16 || bits == 24 || bits == 32)) || (format == FLOAT && (bits == 32 || bits == 64));
        if (!ok) {
            throw new AudioException(source, "unsupported encoding (format " + format + ", " + bits + " bits)",
                    "Convert to PCM 8/16/24/32-bit or float 32-bit, e.g. sox in.wav -b 16 out.wav");
        }
        int bytesPerSample = bits / 8;
        int frameBytes = bytesPerSample * channels;
        if (blockAlign != 0 && blockAlign != frameBytes) {
            throw new AudioException(source, "block align " + blockAlign + " does not match " + channels + " channels × " + bits + " bits", "The file is damaged; export it again");
        }
        long frames = size / frameBytes;
        if (frames > MAX_FRAMES) throw new AudioException(source, "declares " + frames + " frames, more than 24 hours", "Split the recording");
        if (frames == 0) throw new AudioException(source, "contains no audio samples", "Record or export the audio again");
        float[] out = new float[(int) frames];
        for (int f = 0; f < frames; f++) {
            double sum = 0;
            int base = off + f * frameBytes;
            for (int c = 0; c < channels; c++) {
                int p = base + c * bytesPerSample;
                sum += switch (bits) {
                    case 8 -> format == PCM ? ((b.get(p) & 0xFF) - 128) / 128.0 : 0;
                    case 16 -> b.getShort(p) / 32768.0;
                    case 24 -> ((b.get(p) & 0xFF) | (b.get(p + 1) & 0xFF) << 8 | b.get(p + 2) << 16) / 8388608.0;
                    case 32 -> format == FLOAT ? b.getFloat(p) : b.getInt(p) / 2147483648.0;
                    case 64 -> b.getDouble(p);
                    default -> throw new IllegalStateException();
                };
            }
            out[f] = (float) (sum / channels);
            if (!Float.isFinite(out[f])) { // only float formats can hold NaN or ±Inf, and they poison every mel frame after
                throw new AudioException(source, "sample " + f + " is " + out[f] + " (a float WAV must hold finite samples)",
                        "The file is damaged or was written from a diverged signal; export it again");
            }
        }
        return new AudioClip(out, rate);
    }

    /** Writes 16-bit PCM mono (clipped to [-1, 1]), atomically. */
    public static void write(Path file, AudioClip clip) {
        float[] s = clip.samples();
        ByteBuffer b = ByteBuffer.allocate(44 + s.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + s.length * 2).put("WAVE".getBytes());
        b.put("fmt ".getBytes()).putInt(16).putShort((short) PCM).putShort((short) 1).putInt(clip.sampleRate())
                .putInt(clip.sampleRate() * 2).putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes()).putInt(s.length * 2);
        for (float x : s) b.putShort((short) Math.round(Math.max(-1f, Math.min(1f, x)) * 32767f));
        dev.auris.io.AtomicFiles.write(file, b.array());
    }
}
