package dev.auris.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.auris.io.ManifestFile;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * JSONL manifests of arbitrary bytes: lines of JSON objects or an error naming the line. Seeds: lines of
 * the manifest formats in README.md ({@code ManifestFuzzTestInputs/}).
 */
class ManifestFuzzTest {
    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void manifest(byte[] bytes) {
        // parse() is read() after Files.readAllLines: bytes in memory, ~20× the executions of a file per input
        List<String> lines = new String(bytes, StandardCharsets.UTF_8).lines().toList();
        Refusals.refuseCleanly(() -> {
            ManifestFile m = ManifestFile.parse(Path.of("data.jsonl"), lines);
            for (ManifestFile.Line l : m.lines()) {
                if (l.json().path("audio").isTextual()) m.resolve(l.json().path("audio").asText());
            }
        });
    }
}
