package dev.auris.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Audio files named on the command line and/or by a JSONL manifest ("audio" or "path" field per line). */
final class AudioInputs {
    private AudioInputs() {}

    static List<Path> of(List<Path> files, Path manifest) {
        List<Path> inputs = new ArrayList<>(files);
        if (manifest != null) {
            ObjectMapper json = new ObjectMapper();
            List<String> lines;
            try {
                lines = Files.readAllLines(manifest);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read manifest " + manifest + ": " + e.getMessage());
            }
            for (int n = 1; n <= lines.size(); n++) {
                String line = lines.get(n - 1);
                if (line.isBlank()) continue;
                JsonNode j;
                try {
                    j = json.readTree(line);
                } catch (IOException e) {
                    throw new IllegalArgumentException(manifest + " line " + n + ": not JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
                }
                String p = j.has("audio") ? j.get("audio").asText() : j.path("path").asText(null);
                if (p == null) throw new IllegalArgumentException(manifest + " line " + n + ": no \"audio\" or \"path\" field");
                Path ap = Path.of(p);
                inputs.add(ap.isAbsolute() ? ap : manifest.toAbsolutePath().getParent().resolve(ap));
            }
        }
        if (inputs.isEmpty()) throw new IllegalArgumentException("give audio files or --manifest");
        return inputs;
    }
}
