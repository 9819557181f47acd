package dev.auris.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.core.DType;
import dev.auris.io.CheckpointException;
import dev.auris.io.SafeTensorsWriter;
import dev.auris.io.WeightSource;
import dev.auris.prompt.PromptSpec;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;
import dev.auris.speech.SpeechDecoder;
import dev.auris.speech.SpeechDecoderConfig;
import dev.auris.testing.Fixtures;
import dev.auris.testing.Golden;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * auris.json's {@code speech} section: a model directory with a speech decoder and a vocoder directory
 * loads with a voice that speaks its answers, keeps it through save, and a decoder of the wrong width or a
 * missing vocoder is refused with the file named.
 */
class SpeechSectionTest {
    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void voicedModel() throws IOException {
        Path llm = Fixtures.stories260K(tmp);
        model = tmp.resolve("m");
        SpeechLlm.compose(model, Fixtures.whisperTiny(), llm, Map.of("type", "final"), Map.of("type", "frame-stack-mlp", "k", 5, "hidden", 96),
                new PromptSpec(null, null, null, true), false, 7, DType.F32).close();
        writeDecoder(model.resolve("speech/decoder"), 64);
        writeDecoder(model.resolve("speech/narrow"), 32);
        Path voc = Files.createDirectories(model.resolve("speech/vocoder"));
        Files.copy(Golden.dir("speech/codehifigan-tiny").resolve("config.json"), voc.resolve("config.json"));
        Files.copy(Golden.dir("speech/codehifigan-tiny").resolve("g_00000000.pt"), voc.resolve("g_00500000"));  // as LLaMA-Omni's vocoder/ ships it
        withSpeech(model, new SpeechModelSpec.Speech("speech/decoder", "speech/vocoder", null, 5));
    }

    /** A random speech decoder in LLaMA-Omni's layout (config.json + speech_generator.* safetensors) for an LLM of width {@code hidden}. */
    static void writeDecoder(Path dir, int hidden) throws IOException {
        ObjectNode c = new ObjectMapper().createObjectNode().put("speech_generator_type", "ctc").put("ctc_decoder_config", "(2,32,4,64)")
                .put("ctc_upsample_factor", 4).put("unit_vocab_size", 20).put("hidden_size", hidden).put("rms_norm_eps", 1e-5).put("rope_theta", 10000.0);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), c.toPrettyString());
        try (SpeechDecoder d = SpeechDecoder.load(SpeechDecoderConfig.of("test", c), WeightSource.random(3, 0.5), DType.F32)) {
            SafeTensorsWriter.writeTensors(dir.resolve("model.safetensors"), d.tensors(), Map.of());
        }
    }

    static void withSpeech(Path dir, SpeechModelSpec.Speech speech) {
        SpeechModelSpec s = SpeechModelSpec.read(dir);
        new SpeechModelSpec(s.format(), s.encoder(), s.llm(), s.selector(), s.connector(), s.decoding(), s.prompt(), s.weights(), s.lora(), speech).write(dir);
    }

    @Test
    void loadsSpeaksAndSaves() {
        try (SpeechLlm m = SpeechLlm.load(model, DType.F32)) {
            var head = m.speech().orElseThrow();
            assertEquals(5, head.omega());
            List<Event> events = new ArrayList<>();
            Event.Done done;
            try (SpeechSession s = m.newSession()) {
                done = s.respond(Turn.user(Turn.text("Once upon a time")), SamplingOptions.greedy(16), head, events::add);
            }
            assertTrue(events.stream().anyMatch(e -> e instanceof Event.AudioChunk a && a.samples().length > 0), "audio chunks streamed");
            assertTrue(done.firstAudioMs() > 0, done.toString());
            m.save(tmp.resolve("saved"));
        }
        SpeechModelSpec saved = SpeechModelSpec.read(tmp.resolve("saved"));
        assertEquals(new SpeechModelSpec.Speech("../m/speech/decoder", "../m/speech/vocoder", null, 5), saved.speech());
        try (SpeechLlm m = SpeechLlm.load(tmp.resolve("saved"), DType.F32)) {
            assertTrue(m.speech().isPresent());
        }
    }

    @Test
    void withoutSpeechSectionNoVoice() throws IOException {
        Path plain = tmp.resolve("plain");
        Files.createDirectories(plain);
        for (String f : List.of("auris.json", "fusion.safetensors")) Files.copy(model.resolve(f), plain.resolve(f));
        withSpeech(plain, null);
        SpeechModelSpec s = SpeechModelSpec.read(plain);
        new SpeechModelSpec(s.format(), new SpeechModelSpec.EncoderRef(Fixtures.whisperTiny().toString(), false), new SpeechModelSpec.LlmRef(tmp.resolve("stories260K").toString()),
                s.selector(), s.connector(), s.decoding(), s.prompt(), s.weights(), s.lora()).write(plain);
        assertFalse(Files.readString(plain.resolve("auris.json")).contains("speech"));
        try (SpeechLlm m = SpeechLlm.load(plain, DType.F32)) {
            assertTrue(m.speech().isEmpty());
        }
    }

    @Test
    void refusesWrongWidthAndMissingVocoder() throws IOException {
        Path bad = tmp.resolve("bad");
        Files.createDirectories(bad);
        for (String f : List.of("auris.json", "fusion.safetensors")) Files.copy(model.resolve(f), bad.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        SpeechModelSpec s = SpeechModelSpec.read(model);
        var abs = new SpeechModelSpec(s.format(), new SpeechModelSpec.EncoderRef(Fixtures.whisperTiny().toString(), false),
                new SpeechModelSpec.LlmRef(tmp.resolve("stories260K").toString()), s.selector(), s.connector(), s.decoding(), s.prompt(), s.weights(), s.lora(), null);

        withSpeechAt(bad, abs, new SpeechModelSpec.Speech(model.resolve("speech/narrow").toString(), model.resolve("speech/vocoder").toString(), null, null));
        var e = assertThrows(CheckpointException.class, () -> SpeechLlm.load(bad, DType.F32));
        assertTrue(e.getMessage().contains("speech") && e.getMessage().contains("hidden_size is 32") && e.getMessage().contains("64"), e.getMessage());

        withSpeechAt(bad, abs, new SpeechModelSpec.Speech(model.resolve("speech/decoder").toString(), bad.resolve("nowhere").toString(), null, null));
        e = assertThrows(CheckpointException.class, () -> SpeechLlm.load(bad, DType.F32));
        assertTrue(e.getMessage().contains("nowhere") && e.getMessage().contains("config.json"), e.getMessage());

        Files.writeString(bad.resolve("auris.json"), Files.readString(bad.resolve("auris.json")).replace("\"omega\" : 25", "\"omega\" : 0"));
        e = assertThrows(CheckpointException.class, () -> SpeechLlm.load(bad, DType.F32));
        assertTrue(e.getMessage().contains("omega"), e.getMessage());
    }

    private static void withSpeechAt(Path dir, SpeechModelSpec s, SpeechModelSpec.Speech speech) {
        new SpeechModelSpec(s.format(), s.encoder(), s.llm(), s.selector(), s.connector(), s.decoding(), s.prompt(), s.weights(), s.lora(), speech).write(dir);
    }
}
