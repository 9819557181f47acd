package dev.auris.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auris.io.ManifestFile;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Audio files named on the command line and/or by a JSONL manifest: an "audio" or "path" field per line,
 * or a training manifest's line (the first audio part of its messages). Paths resolve as {@link ManifestFile} says.
 */
final class AudioInputs {
    private AudioInputs() {}

    static List<Path> of(List<Path> files, Path manifest) {
        List<Path> inputs = new ArrayList<>(files);
        if (manifest != null) {
            ManifestFile m = ManifestFile.read(manifest);
            for (ManifestFile.Line line : m.lines()) {
                String p = audioOf(line.json());
                if (p == null) throw m.error(line, "no \"audio\" or \"path\" field (nor an audio part in \"messages\")");
                inputs.add(m.resolve(p));
            }
        }
        if (inputs.isEmpty()) throw new IllegalArgumentException("give audio files or --manifest");
        return inputs;
    }

    private static String audioOf(JsonNode j) {
        if (j.path("audio").isTextual()) return j.get("audio").asText();
        if (j.path("path").isTextual()) return j.get("path").asText();
        for (JsonNode m : j.path("messages")) {
            for (JsonNode part : m.path("content")) if (part.path("audio").isTextual()) return part.get("audio").asText();
        }
        return null;
    }
}
