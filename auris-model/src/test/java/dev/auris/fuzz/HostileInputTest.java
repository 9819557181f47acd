package dev.auris.fuzz;

import dev.auris.audio.AudioClip;
import dev.auris.audio.AudioException;
import dev.auris.core.DType;
import dev.auris.encoder.WhisperEncoder;
import dev.auris.io.CheckpointException;
import dev.auris.llm.Llm;
import dev.auris.llm.Session;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.prompt.PromptSpec;
import dev.auris.testing.Fixtures;
import dev.auris.testing.Golden;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The hostile inputs of issue 23 that reach a loaded model — clips of no length, of ten hours, of NaN; prompts
 * of 0 and 10⁷ tokens; checkpoints whose shapes disagree with their config (Whisper, Llama, fusion) — each
 * a Java exception naming the problem, raised before libtorch sees a shape taken from the input, and the
 * model still usable after. (The readers' cases: auris-core's {@code HostileInputTest}.)
 */
class HostileInputTest {
    @TempDir
    static Path tmp;
    static SpeechLlm model;

    @BeforeAll
    static void compose() {
        model = SpeechLlm.compose(tmp.resolve("m"), Fixtures.whisperTiny(), Fixtures.stories260K(tmp), Map.of("type", "final"),
                Map.of("type", "frame-stack-mlp", "k", 5, "hidden", 96), new PromptSpec(null, null, null, true), false, 7, DType.F32);
    }

    @AfterAll
    static void close() { model.close(); }

    static <T extends Throwable> void refused(Class<T> type, Executable e, String... says) {
        T t = assertThrows(type, e);
        for (String s : says) assertTrue(t.getMessage().contains(s), "'" + t.getMessage() + "' should say '" + s + "'");
    }

    @Test
    void clipsOfNoLengthTenHoursOrNaN() {
        try (PointerScope scope = new PointerScope()) {
            refused(AudioException.class, () -> model.encode(new AudioClip(new float[0], 16000)), "too short");
            // ten hours at 100 Hz is 14 MB here, but 2.3 GB once resampled to 16 kHz: refused before that
            refused(IllegalArgumentException.class, () -> model.encode(new AudioClip(new float[10 * 3600 * 100], 100)), "36000.0 s", "window: split it");
            refused(IllegalArgumentException.class, () -> model.encode(new AudioClip(new float[31 * 16000], 16000)), "31.0 s", "split it");
            float[] nan = new float[16000];
            nan[5] = Float.NaN;
            refused(AudioException.class, () -> model.encode(new AudioClip(nan, 16000)), "sample 5", "NaN");
            assertEquals(2, model.encode(new AudioClip(new float[16000], 16000)).dim(), "still usable");
        }
    }

    @Test
    void promptsOfZeroAndTenMillionTokens() {
        Llm llm = model.llm();
        try (Session s = llm.newSession(); PointerScope scope = new PointerScope()) {
            refused(IllegalArgumentException.class, () -> s.prefill(new int[0]), "at least one token");
            // 10⁷ tokens would be a 2.5 GB [T, D] embedding: the context is checked before it exists
            refused(IllegalArgumentException.class, () -> s.prefill(new int[10_000_000]), "input of 10000000 positions", "context of "
                    + llm.config().maxPositionEmbeddings());
            refused(IllegalArgumentException.class, () -> s.prefill(new int[]{-1}), "token id -1");
            refused(IllegalArgumentException.class, () -> s.prefill(new int[]{Integer.MAX_VALUE}), "outside the vocabulary");
            s.prefill(new int[]{1, 2, 3});
            assertEquals(3, s.position(), "still usable");
        }
    }

    /** A copy of {@code src} (config.json edited by {@code edit}) beside its unchanged weights. */
    static Path variant(Path src, String name, String from, String to) throws Exception {
        Path dst = tmp.resolve(name);
        Files.createDirectories(dst);
        try (var files = Files.list(src)) {
            for (Path f : files.toList()) if (!Files.isDirectory(f)) Files.copy(f, dst.resolve(f.getFileName()));
        }
        String config = Files.readString(src.resolve("config.json"));
        assertTrue(config.contains(from), from);
        Files.writeString(dst.resolve("config.json"), config.replace(from, to));
        return dst;
    }

    @Test
    void whisperCheckpointDisagreeingWithItsConfig() throws Exception {
        Path wide = variant(Fixtures.whisperTiny(), "whisper-wide", "\"d_model\": 64", "\"d_model\": 128");
        refused(CheckpointException.class, () -> WhisperEncoder.load(wide, DType.F32).close(), "model.safetensors", "has shape [64]", "implies [128]");
        Path deep = variant(Fixtures.whisperTiny(), "whisper-deep", "\"encoder_layers\": 2", "\"encoder_layers\": 3");
        refused(CheckpointException.class, () -> WhisperEncoder.load(deep, DType.F32).close(), "layers.2", "missing");
        Path mels = variant(Fixtures.whisperTiny(), "whisper-mels", "\"num_mel_bins\": 80", "\"num_mel_bins\": 128");
        refused(CheckpointException.class, () -> WhisperEncoder.load(mels, DType.F32).close(), "conv1.weight", "[64, 128, 3]");
        Path positions = variant(Fixtures.whisperTiny(), "whisper-pos", "\"max_source_positions\": 1500", "\"max_source_positions\": 2000000000");
        refused(CheckpointException.class, () -> WhisperEncoder.load(positions, DType.F32).close(), "max_source_positions");
    }

    @Test
    void llamaCheckpointDisagreeingWithItsConfig() throws Exception {
        Path src = Golden.dir("llama-tiny");
        String config = Files.readString(src.resolve("config.json"));
        String vocab = config.replaceAll("(?s).*\"vocab_size\": (\\d+).*", "$1");
        Path v = variant(src, "llama-vocab", "\"vocab_size\": " + vocab, "\"vocab_size\": " + (Integer.parseInt(vocab) + 1));
        refused(CheckpointException.class, () -> Llm.load(v, DType.F32).close(), "embed_tokens.weight", "implies [" + (Integer.parseInt(vocab) + 1));
        Path ffn = variant(src, "llama-ffn", "\"intermediate_size\": ", "\"intermediate_size\": -");
        refused(CheckpointException.class, () -> Llm.load(ffn, DType.F32).close(), "intermediate_size must be positive");
        Path ctx = variant(src, "llama-ctx", "\"max_position_embeddings\": ", "\"max_position_embeddings\": -");
        refused(CheckpointException.class, () -> Llm.load(ctx, DType.F32).close(), "max_position_embeddings must be positive");
        Path huge = variant(src, "llama-huge", "\"vocab_size\": " + vocab, "\"vocab_size\": 2000000000");
        refused(CheckpointException.class, () -> Llm.load(huge, DType.F32).close(), "embed_tokens.weight", "implies [2000000000");
    }

    @Test
    void fusionWeightsDisagreeingWithAurisJson() throws Exception {
        Path dir = tmp.resolve("m");
        Path copy = tmp.resolve("m-hidden");
        Files.createDirectories(copy);
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) if (!Files.isDirectory(f)) Files.copy(f, copy.resolve(f.getFileName()));
        }
        String spec = Files.readString(copy.resolve("auris.json"));
        // relative paths in auris.json point from the copy to the same encoder and LLM
        spec = spec.replace("\"hidden\" : 96", "\"hidden\" : 97");
        Files.writeString(copy.resolve("auris.json"), spec);
        var e = assertThrows(CheckpointException.class, () -> SpeechLlm.load(copy, DType.F32).close());
        assertTrue(e.getMessage().contains("connector") && e.getMessage().contains("[96, ") && e.getMessage().contains("[97, "), e.getMessage());
    }
}
