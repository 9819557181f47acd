package dev.auris.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSONL manifest, the one reader of every manifest Auris takes (training data, `transcribe --manifest`,
 * `units`): one JSON object per non-blank line, and file paths in it relative to the manifest's own
 * folder (as NeMo and Hugging Face datasets resolve them), so a manifest works from any working
 * directory; absolute paths stay as they are. A line that is not a JSON object is an error naming the
 * file and the line.
 */
public record ManifestFile(Path file, Path folder, List<Line> lines) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One object of the manifest and its 1-based line number (for error messages). */
    public record Line(int number, JsonNode json) {}

    public ManifestFile {
        lines = List.copyOf(lines);
    }

    public static ManifestFile read(Path file) {
        List<String> text;
        try {
            text = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read manifest " + file + ": " + e.getMessage(), e);
        }
        return parse(file, text);
    }

    /** The manifest {@code file} whose text lines are {@code text}. */
    public static ManifestFile parse(Path file, List<String> text) {
        List<Line> lines = new ArrayList<>();
        for (int i = 0; i < text.size(); i++) {
            if (text.get(i).isBlank()) continue;
            JsonNode j;
            try {
                j = JSON.readTree(text.get(i));
            } catch (IOException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": not JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
            }
            if (j == null || !j.isObject()) throw new IllegalArgumentException(file + " line " + (i + 1) + ": a line must be a JSON object");
            lines.add(new Line(i + 1, j));
        }
        return new ManifestFile(file, file.toAbsolutePath().normalize().getParent(), lines);
    }

    /** A path named in the manifest: relative to the manifest's folder, absolute as it is. */
    public Path resolve(String path) {
        Path p = Path.of(path);
        return p.isAbsolute() ? p : folder.resolve(p).normalize();
    }

    /** An error about one line, naming the file and the line. */
    public IllegalArgumentException error(Line line, String message) {
        return new IllegalArgumentException(file + " line " + line.number() + ": " + message);
    }
}
