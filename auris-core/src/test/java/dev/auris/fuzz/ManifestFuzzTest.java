package dev.auris.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.auris.io.ManifestFile;

/**
 * JSONL manifests of arbitrary bytes: lines of JSON objects or an error naming the line. Seeds: lines of
 * the manifest formats in README.md ({@code ManifestFuzzTestInputs/}).
 */
class ManifestFuzzTest {
    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void manifest(byte[] bytes) {
        var file = Refusals.file("data.jsonl", bytes);
        Refusals.refuseCleanly(() -> {
            ManifestFile m = ManifestFile.read(file);
            for (ManifestFile.Line l : m.lines()) {
                if (l.json().path("audio").isTextual()) m.resolve(l.json().path("audio").asText());
            }
        });
    }
}
