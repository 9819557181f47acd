package dev.auris.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class ManifestFileTest {
    @TempDir
    Path tmp;

    @Test
    void relativePathsResolveAgainstTheManifestsFolderNotTheWorkingDirectory() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("data/heldout"));
        Path f = dir.resolve("asr.jsonl");
        Files.writeString(f, "{\"audio\": \"clips/a.wav\"}\n\n{\"audio\": \"/abs/b.wav\"}\n{\"audio\": \"../train/c.wav\"}\n");
        ManifestFile m = ManifestFile.read(f);
        assertEquals(3, m.lines().size());
        assertEquals(java.util.List.of(1, 3, 4), m.lines().stream().map(ManifestFile.Line::number).toList());
        assertEquals(dir.toAbsolutePath().resolve("clips/a.wav"), m.resolve(m.lines().get(0).json().get("audio").asText()));
        assertEquals(Path.of("/abs/b.wav"), m.resolve("/abs/b.wav"));
        assertEquals(tmp.toAbsolutePath().resolve("data/train/c.wav"), m.resolve("../train/c.wav"));
        assertNotEquals(Path.of("").toAbsolutePath().resolve("clips/a.wav"), m.resolve("clips/a.wav"));
    }

    @Test
    void badLinesAreNamed() throws Exception {
        Path f = tmp.resolve("m.jsonl");
        Files.writeString(f, "{\"audio\": \"a.wav\"}\n{not json\n");
        var e = assertThrows(IllegalArgumentException.class, () -> ManifestFile.read(f));
        assertTrue(e.getMessage().contains("line 2: not JSON"), e.getMessage());
        Files.writeString(f, "[1, 2]\n");
        e = assertThrows(IllegalArgumentException.class, () -> ManifestFile.read(f));
        assertTrue(e.getMessage().contains("line 1: a line must be a JSON object"), e.getMessage());
        assertThrows(java.io.UncheckedIOException.class, () -> ManifestFile.read(tmp.resolve("missing.jsonl")));
    }
}
