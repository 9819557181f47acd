package dev.auris.audio;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A WAV file written as its audio arrives: 16-bit PCM mono into {@code target.part}, whose header is
 * rewritten after every chunk so the part is a valid WAV of the audio so far; {@link #finish} renames it to
 * the target, {@link #close} without it removes the part. The target is never half-written.
 *
 * <pre>{@code try (WavStream w = WavStream.open(out, 16000)) { w.append(chunk); ...; w.finish(); }}</pre>
 */
public final class WavStream implements AutoCloseable {
    private static final int HEADER = 44;
    private final Path target, part;
    private final FileChannel channel;
    private final int sampleRate;
    private long samples;
    private boolean finished;

    private WavStream(Path target, Path part, FileChannel channel, int sampleRate) {
        this.target = target;
        this.part = part;
        this.channel = channel;
        this.sampleRate = sampleRate;
    }

    public static WavStream open(Path target, int sampleRate) {
        if (sampleRate < 1) throw new IllegalArgumentException("sample rate must be ≥ 1, got " + sampleRate);
        Path abs = target.toAbsolutePath();
        Path part = abs.resolveSibling(abs.getFileName() + ".part");
        try {
            Files.createDirectories(abs.getParent());
            FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            WavStream w = new WavStream(abs, part, ch, sampleRate);
            w.header();
            return w;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + part + ": " + e.getMessage(), e);
        }
    }

    /** Appends samples [S] (clipped to [-1, 1]) and updates the header. */
    public void append(float[] chunk) {
        if (finished) throw new IllegalStateException(target + " is already finished");
        if (chunk.length == 0) return;
        if ((samples + chunk.length) * 2 > 0xFFFFFFFFL - HEADER) throw new IllegalStateException(target + ": a WAV file holds at most 4 GiB");
        ByteBuffer b = ByteBuffer.allocate(chunk.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : chunk) b.putShort((short) Math.round((Float.isNaN(x) ? 0f : Math.max(-1f, Math.min(1f, x))) * 32767f));
        try {
            b.flip();
            long at = HEADER + samples * 2;
            while (b.hasRemaining()) at += channel.write(b, at);
            samples += chunk.length;
            header();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + part + ": " + e.getMessage(), e);
        }
    }

    /** Seconds written so far. */
    public double seconds() { return (double) samples / sampleRate; }

    /** Completes the file: the part becomes the target. */
    public void finish() {
        try {
            channel.force(true);
            channel.close();
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            finished = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot complete " + target + ": " + e.getMessage(), e);
        }
    }

    private void header() throws IOException {
        long data = samples * 2;
        ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        h.put("RIFF".getBytes()).putInt((int) (36 + data)).put("WAVE".getBytes());
        h.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1).putInt(sampleRate).putInt(sampleRate * 2)
                .putShort((short) 2).putShort((short) 16);
        h.put("data".getBytes()).putInt((int) data).flip();
        long at = 0;
        while (h.hasRemaining()) at += channel.write(h, at);
    }

    /** Without {@link #finish}: the part is removed and the target left as it was. */
    @Override
    public void close() {
        if (finished) return;
        try {
            channel.close();
            Files.deleteIfExists(part);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + part + ": " + e.getMessage(), e);
        }
    }
}
