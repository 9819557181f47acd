package dev.auris.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.core.Home;
import dev.auris.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The documented commands, run as a user would (in-process), checked against the golden references. */
class CliTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static synchronized Run run(String... args) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    static double maxAbs(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @Test
    void helpListsTheCommands() {
        Run r = run("--help");
        assertEquals(0, r.code());
        for (String c : List.of("generate", "logits", "mel", "encode-audio", "convert", "compose", "chat", "transcribe", "bench")) {
            assertTrue(r.out().contains(c), c);
        }
    }

    @Test
    void melOfJfkMatchesWhisper() {
        Path out = tmp.resolve("mel.npy");
        Run r = run("mel", Home.resolve("assets/speech/jfk.wav").toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Npy.Array got = Npy.read(out), exp = Npy.read(Home.resolve("testdata/golden/logmel/expected_mel.npy"));
        assertArrayEquals(exp.shape(), got.shape());
        assertEquals(0, maxAbs(exp.data(), got.data()), 1e-4);
    }

    @Test
    void melRejectsAWrongBinCountAndACorruptFile() throws Exception {
        assertNotEquals(0, run("mel", Home.resolve("assets/speech/jfk.wav").toString(), "--out", tmp.resolve("x.npy").toString(), "--n-mels", "64").code());
        Path bad = tmp.resolve("bad.wav");
        Files.write(bad, "RIFF\u0000\u0000\u0000\u0000WAVEfmt ".getBytes(StandardCharsets.ISO_8859_1));
        Run r = run("mel", bad.toString(), "--out", tmp.resolve("y.npy").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("bad.wav"), r.err());
        assertFalse(Files.exists(tmp.resolve("y.npy")), "no half-written output");
    }

    @Test
    void logitsMatchGolden() {
        JsonNode ids = readJson(Home.resolve("testdata/golden/qwen2-tiny/expected.json")).get("input_ids");
        StringBuilder s = new StringBuilder();
        ids.forEach(i -> s.append(s.isEmpty() ? "" : ",").append(i.asInt()));
        Path out = tmp.resolve("logits.npy");
        Run r = run("logits", "--model", Home.resolve("testdata/golden/qwen2-tiny").toString(), "--ids", s.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(0, maxAbs(Npy.read(Home.resolve("testdata/golden/qwen2-tiny/expected_logits.npy")).data(), Npy.read(out).data()), 1e-4);
        Run bad = run("logits", "--model", Home.resolve("testdata/golden/qwen2-tiny").toString(), "--ids", "1,999", "--out", out.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("outside the vocabulary"), bad.err());
    }

    @Test
    void encodeAudioMatchesGolden() {
        Path out = tmp.resolve("h.npy");
        Path g = Home.resolve("testdata/golden/whisper-tiny-random");
        Run r = run("encode-audio", "--model", g.toString(), g.resolve("input_mel.npy").toString(), "--out", out.toString(), "--all-layers");
        assertEquals(0, r.code(), r.err());
        Npy.Array got = Npy.read(out);
        assertArrayEquals(new long[]{3, 1500, 64}, got.shape());
        assertEquals(0, maxAbs(Npy.read(g.resolve("expected_layer_outputs.npy")).data(), got.data()), 1e-4);
    }

    @Test
    void convertAndGenerateReproduceLlama2c() {
        Path dir = tmp.resolve("s260");
        assertEquals(0, run("convert", "--llama2c", Home.resolve("assets/llm/stories260K/stories260K.bin").toString(),
                "--tokenizer", Home.resolve("assets/llm/stories260K/tok512.bin").toString(), "--out", dir.toString()).code());
        Run r = run("generate", "--model", dir.toString(), "--prompt", "Lily and Ben", "--steps", "80");
        assertEquals(0, r.code(), r.err());
        JsonNode golden = readJson(Home.resolve("testdata/golden/stories260K/greedy.json")).get("cases").get(2);
        assertEquals(golden.get("text").asText(), r.out());
    }

    @Test
    void quantizeThenGenerateFromGguf() {
        Path dir = tmp.resolve("s260q");
        assertEquals(0, run("convert", "--llama2c", Home.resolve("assets/llm/stories260K/stories260K.bin").toString(),
                "--tokenizer", Home.resolve("assets/llm/stories260K/tok512.bin").toString(), "--out", dir.toString()).code());
        Path f32 = tmp.resolve("s260.gguf"), q8 = tmp.resolve("s260-q8_0.gguf");
        Run w = run("quantize", "--model", dir.toString(), "--to", "f32", "--out", f32.toString());
        assertEquals(0, w.code(), w.err());
        assertEquals(0, run("quantize", "--model", dir.toString(), "--to", "q8_0", "--out", q8.toString()).code());
        Run r = run("generate", "--model", f32.toString(), "--prompt", "Lily and Ben", "--steps", "80");
        assertEquals(0, r.code(), r.err());
        JsonNode golden = readJson(Home.resolve("testdata/golden/stories260K/greedy.json")).get("cases").get(2);
        assertEquals(golden.get("text").asText(), r.out(), "the F32 GGUF generates as llama2.c");
        Run q = run("generate", "--model", q8.toString(), "--prompt", "Lily and Ben", "--steps", "80");
        assertEquals(0, q.code(), q.err());
        assertTrue(q.out().startsWith("Lily and Ben"), q.out());
        assertNotEquals(0, run("quantize", "--model", dir.toString(), "--to", "q5_k", "--out", q8.toString()).code());
    }

    @Test
    void composeThenTranscribeReportsBadFilesAndGoesOn() throws Exception {
        Path model = tmp.resolve("speech");
        Run c = run("compose", "--encoder", Home.resolve("testdata/golden/whisper-tiny-random").toString(), "--llm", Home.resolve("models/stories260K").toString(),
                "--connector", "linear", "--k", "2", "--out", model.toString());
        assertEquals(0, c.code(), c.err());
        Path notAudio = tmp.resolve("notes.txt");
        Files.writeString(notAudio, "this is not audio");
        Path out = tmp.resolve("t.jsonl");
        Run r = run("transcribe", "--model", model.toString(), "-n", "4", Home.resolve("assets/speech/jfk.wav").toString(), notAudio.toString(),
                tmp.resolve("missing.wav").toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals(3, lines.size());
        assertTrue(readJsonLine(lines.get(0)).has("text"), lines.get(0));
        assertTrue(readJsonLine(lines.get(1)).get("error").asText().contains("notes.txt"), lines.get(1));
        assertTrue(readJsonLine(lines.get(2)).get("error").asText().contains("not found"), lines.get(2));
    }

    @Test
    void theReadmesFirstCommandContinuesTheClipAsTheTextLlmContinuesItsWords() throws Exception {
        // README: ./auris chat --audio examples/story-3.wav; examples/README.md lists what stories260K continues from the typed text
        String row = Files.readAllLines(Home.resolve("examples/README.md")).stream().filter(l -> l.startsWith("| `story-3.wav`")).findFirst().orElseThrow();
        String[] cells = row.split("\\|");
        String typedContinuation = cells[cells.length - 1].strip();
        Run r = run("chat", "-n", "12", "--audio", Home.resolve("examples/story-3.wav").toString());
        assertEquals(0, r.code(), r.err());
        String answer = r.out().strip();
        assertTrue(answer.length() > 20 && typedContinuation.startsWith(answer), "spoken: " + answer + " | typed: " + typedContinuation);
    }

    @Test
    void transcribeDecodersCtcAndJointFollowTheAudio() throws Exception {
        // models/tiny's connector is ctc-compress: --decoder ctc is its encoder's greedy CTC, no LLM; joint (the default
        // for it) is the CTC / LLM beam search (story-3: "He wanted to join her dad.")
        for (String decoder : List.of("ctc", "joint", "auto")) {
            Path out = tmp.resolve(decoder + ".jsonl");
            Run r = run("transcribe", "--decoder", decoder, Home.resolve("examples/story-3.wav").toString(), "--out", out.toString());
            assertEquals(0, r.code(), r.err());
            String text = readJsonLine(Files.readAllLines(out).getFirst()).get("text").asText();
            assertTrue(text.startsWith("He wanted to"), decoder + ": " + text);
        }
        // a linear connector has no CTC head: one clear error up front, not a line per file nor a crash
        Path model = tmp.resolve("speech-linear");
        Run c = run("compose", "--encoder", Home.resolve("testdata/golden/whisper-tiny-random").toString(), "--llm", Home.resolve("models/stories260K").toString(),
                "--connector", "linear", "--k", "2", "--out", model.toString());
        assertEquals(0, c.code(), c.err());
        Path out = tmp.resolve("linear.jsonl");
        Run r = run("transcribe", "--decoder", "ctc", "--model", model.toString(), Home.resolve("assets/speech/jfk.wav").toString(), "--out", out.toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("needs a CTC head") && r.err().contains("--decoder llm"), r.err());
        assertFalse(Files.exists(out), "no output file for a refused run");
        r = run("transcribe", "--decoder", "beam", Home.resolve("assets/speech/jfk.wav").toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("use auto, llm, ctc or joint"), r.err());
    }

    @Test
    void chatSpeaksTheAnswerIntoAWavAsItStreams() throws Exception {
        Run none = run("chat", "--model", Home.resolve("testdata/golden/qwen2-tiny").toString(), "-n", "4", "--text", "hi", "--speak", tmp.resolve("x.wav").toString());
        assertNotEquals(0, none.code());
        Path model = voicedTiny();
        Path wav = tmp.resolve("answer.wav");
        Run r = run("chat", "--model", model.toString(), "-n", "12", "--audio", Home.resolve("examples/story-3.wav").toString(), "--speak", wav.toString(), "--stats");
        assertEquals(0, r.code(), r.err());
        Run plain = run("chat", "-n", "12", "--audio", Home.resolve("examples/story-3.wav").toString());
        assertEquals(plain.out(), r.out(), "speaking does not change the text");
        var clip = dev.auris.audio.Audio.load(wav);
        assertTrue(clip.samples().length > 0 && clip.sampleRate() == 16000, clip.samples().length + " samples");
        assertFalse(Files.exists(tmp.resolve("answer.wav.part")));
        assertTrue(r.err().contains("first audio") && r.err().contains("vocoder real-time factor"), r.err());
        Run bare = run("chat", "--model", Home.resolve("models/tiny").toString(), "--text", "hi", "--speak", wav.toString());
        if (dev.auris.pipeline.SpeechModelSpec.read(Home.resolve("models/tiny")).speech() == null) {
            assertNotEquals(0, bare.code());
            assertTrue(bare.err().contains("no voice"), bare.err());
        } else {
            assertEquals(0, bare.code(), bare.err());                 // the default's own voice
            assertTrue(dev.auris.audio.Audio.load(wav).samples().length > 0);
        }
    }

    /** The released layouts as the README's "Models you already have" runs them (tiny random weights, testdata/golden/released). */
    @Test
    void releasedModelsRunAsTheyArePublished() {
        Path g = Home.resolve("testdata/golden/released"), q = g.resolve("question.wav"), wav = tmp.resolve("omni.wav");
        Run omni = run("chat", "--model", g.resolve("llama-omni-full").toString(), "--audio", q.toString(), "-t", "0", "-n", "6", "--speak", wav.toString());
        assertEquals(0, omni.code(), omni.err());
        assertTrue(Files.exists(wav) && omni.err().contains("spoken"), omni.err());
        Run hub = run("chat", "--model", g.resolve("ultravox-tiny").toString(), "--audio", q.toString(), "-n", "2");
        assertNotEquals(0, hub.code());
        assertTrue(hub.err().contains("audio_model_id") && hub.err().contains("--encoder"), hub.err());
        Run uv = run("transcribe", "--model", g.resolve("ultravox-tiny").toString(), "--encoder", g.resolve("ultravox-tiny/audio").toString(),
                "--llm", g.resolve("ultravox-tiny/text").toString(), "-n", "3", q.toString());
        assertEquals(0, uv.code(), uv.err());
        assertTrue(uv.out().contains("\"text\""), uv.out());
    }

    /** models/tiny with a random speech decoder and the golden tiny vocoder: a voice that says nothing sensible, to check the plumbing. */
    private Path voicedTiny() throws Exception {
        Path m = tmp.resolve("voiced");
        Path tiny = Home.resolve("models/tiny");
        Files.createDirectories(m.resolve("speech/decoder"));
        Files.copy(tiny.resolve("fusion.safetensors"), m.resolve("fusion.safetensors"));
        var c = new ObjectMapper().createObjectNode().put("speech_generator_type", "ctc").put("ctc_decoder_config", "(1,32,4,64)")
                .put("ctc_upsample_factor", 4).put("unit_vocab_size", 20).put("hidden_size", 64).put("rms_norm_eps", 1e-5).put("rope_theta", 10000.0);
        Files.writeString(m.resolve("speech/decoder/config.json"), c.toPrettyString());
        try (var d = dev.auris.speech.SpeechDecoder.load(dev.auris.speech.SpeechDecoderConfig.of("test", c), dev.auris.io.WeightSource.random(3, 0.5), dev.auris.core.DType.F32)) {
            dev.auris.io.SafeTensorsWriter.writeTensors(m.resolve("speech/decoder/model.safetensors"), d.tensors(), java.util.Map.of());
        }
        var s = dev.auris.pipeline.SpeechModelSpec.read(tiny);
        new dev.auris.pipeline.SpeechModelSpec(s.format(), new dev.auris.pipeline.SpeechModelSpec.EncoderRef(tiny.resolve(s.encoder().path()).toString(), s.encoder().pad30s()),
                new dev.auris.pipeline.SpeechModelSpec.LlmRef(tiny.resolve(s.llm().path()).normalize().toString()), s.selector(), s.connector(), s.decoding(), s.prompt(),
                s.weights(), s.lora(), new dev.auris.pipeline.SpeechModelSpec.Speech("speech/decoder", Home.resolve("testdata/golden/speech/codehifigan-tiny").toString(), null, 5)).write(m);
        return m;
    }

    static JsonNode readJson(Path p) {
        try {
            return new ObjectMapper().readTree(p.toFile());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static JsonNode readJsonLine(String s) {
        try {
            return new ObjectMapper().readTree(s);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
