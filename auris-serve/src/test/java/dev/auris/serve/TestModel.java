package dev.auris.serve;

import dev.auris.core.Home;
import dev.auris.core.Torch;
import dev.auris.core.DType;
import dev.auris.pipeline.SpeechLlm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/** The bundled models/tiny, loaded once per test JVM and shared by every server the tests start (as serving shares it). */
final class TestModel {
    static final String ID = "tiny";
    private static SpeechLlm model;

    private TestModel() {}

    static synchronized SpeechLlm get() {
        if (model == null) {
            Torch.setThreads(2);
            model = SpeechLlm.load(Home.resolve("models/tiny"), DType.F32);
        }
        return model;
    }

    static Path story3() { return Home.resolve("examples/story-3.wav"); }

    static byte[] bytes(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String base64(Path p) { return Base64.getEncoder().encodeToString(bytes(p)); }
}
