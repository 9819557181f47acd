package dev.auris.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.*;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes that leave either the old file or the complete new one, never a half-written file: the bytes go
 * to a temporary file in the target's directory, are forced to disk, then renamed over the target.
 */
public final class AtomicFiles {
    /** Writes the content through the channel it is given. */
    @FunctionalInterface
    public interface Writer {
        void write(FileChannel channel) throws IOException;
    }

    private AtomicFiles() {}

    public static void write(Path target, Writer writer) {
        Path abs = target.toAbsolutePath();
        try {
            Files.createDirectories(abs.getParent());
            Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".tmp");
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    writer.write(ch);
                    ch.force(true);
                }
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
                } catch (UnsupportedOperationException ignored) {
                    // not a POSIX file system: keep the default permissions
                }
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    public static void write(Path target, byte[] bytes) {
        write(target, ch -> {
            var b = java.nio.ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
    }

    public static void writeString(Path target, String text) {
        write(target, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
