package dev.auris.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.core.Home;
import dev.auris.core.Torch;
import dev.auris.core.DType;
import dev.auris.io.SafeTensorsWriter;
import dev.auris.io.WeightSource;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.speech.SpeechDecoder;
import dev.auris.speech.SpeechDecoderConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

/**
 * The bundled models/tiny, loaded once per test JVM and shared by every server the tests start (as serving
 * shares it): {@link #get} as it hears and writes, without its voice (text answers, audio output refused),
 * {@link #voiced} with a stand-in voice whose audio is noise.
 */
final class TestModel {
    static final String ID = "tiny";
    private static SpeechLlm model, voiced;

    private TestModel() {}

    static synchronized SpeechLlm get() {
        if (model == null) {
            Torch.setThreads(2);
            model = SpeechLlm.load(copy("plain-tiny", null), DType.F32);
        }
        return model;
    }

    /**
     * models/tiny with a voice: a random-weight LLaMA-Omni speech decoder on its 64-wide hidden states and the
     * golden tiny CodeHiFiGAN (testdata/golden/speech), in an auris.json speech section (Ω 5). The audio is noise,
     * but it flows as a real voice's would: this checks the plumbing, not the voice.
     */
    static synchronized SpeechLlm voiced() {
        if (voiced != null) return voiced;
        try {
            Torch.setThreads(2);
            ObjectMapper json = new ObjectMapper();
            Path dir = copy("voiced-tiny", json.createObjectNode().put("decoder", "speech/decoder").put("vocoder", "speech/vocoder").put("omega", 5));
            Path dec = Files.createDirectories(dir.resolve("speech/decoder"));
            ObjectNode c = json.createObjectNode().put("speech_generator_type", "ctc").put("ctc_decoder_config", "(2,32,4,64)")
                    .put("ctc_upsample_factor", 4).put("unit_vocab_size", 20).put("hidden_size", 64).put("rms_norm_eps", 1e-5).put("rope_theta", 10000.0);
            Files.writeString(dec.resolve("config.json"), c.toPrettyString());
            try (SpeechDecoder d = SpeechDecoder.load(SpeechDecoderConfig.of("test", c), WeightSource.random(3, 0.5), DType.F32)) {
                SafeTensorsWriter.writeTensors(dec.resolve("model.safetensors"), d.tensors(), Map.of());
            }
            Path voc = Files.createDirectories(dir.resolve("speech/vocoder")), golden = Home.resolve("testdata/golden/speech/codehifigan-tiny");
            Files.copy(golden.resolve("config.json"), voc.resolve("config.json"));
            Files.copy(golden.resolve("g_00000000.pt"), voc.resolve("g_00500000"));
            voiced = SpeechLlm.load(dir, DType.F32);
            return voiced;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** models/tiny's auris.json (paths made absolute) in a new folder under target/, with {@code speech} as its voice (none when null). */
    private static Path copy(String name, ObjectNode speech) {
        try {
            Path tiny = Home.resolve("models/tiny"), dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), name); // cleaned with the build
            ObjectNode spec = (ObjectNode) new ObjectMapper().readTree(tiny.resolve("auris.json").toFile());
            ((ObjectNode) spec.get("encoder")).put("path", tiny.resolve(spec.get("encoder").get("path").asText()).toString());
            ((ObjectNode) spec.get("llm")).put("path", tiny.resolve(spec.get("llm").get("path").asText()).normalize().toString());
            spec.put("weights", tiny.resolve(spec.get("weights").asText()).toString());
            spec.remove("speech");
            if (speech != null) spec.set("speech", speech);
            Files.writeString(dir.resolve("auris.json"), spec.toPrettyString());
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
