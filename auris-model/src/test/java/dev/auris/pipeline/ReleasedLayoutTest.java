package dev.auris.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.io.CheckpointException;
import dev.auris.io.SafeTensors;
import dev.auris.io.SafeTensorsWriter;
import dev.auris.prompt.PromptBuilder;
import dev.auris.prompt.Turn;
import dev.auris.testing.Golden;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * LLaMA-Omni's and Ultravox's released layouts (testdata/golden/released, random tiny weights) load without an
 * auris.json and compute what the plain-numpy ports of their public code compute (refimpl_released.py): the
 * projected speech embeddings, the prompt's token ids, the LLM's hidden states and logits over the spliced prompt,
 * all within 1e-4 (f32). Wrong layouts name the tensor.
 */
class ReleasedLayoutTest {
    static final String OMNI = "released/llama-omni-full", UV = "released/ultravox-tiny";
    static final double TOL = 1e-4;

    @TempDir
    Path tmp;

    static AudioClip question() {
        return Audio.load(Golden.dir("released").resolve("question.wav"));
    }

    static ReleasedLayout.Overrides ultravoxParts() {
        return new ReleasedLayout.Overrides(Golden.dir(UV).resolve("audio"), Golden.dir(UV).resolve("text"), null);
    }

    @Test
    void llamaOmniAsReleased() {
        try (SpeechLlm m = SpeechLlm.load(Golden.dir(OMNI), DType.F32, ReleasedLayout.Overrides.NONE)) {
            assertTrue(m.spec().encoder().pad30s(), "LLaMA-Omni pads to Whisper's 30 s");
            assertEquals(128, m.encoder().config().numMelBins());
            assertTrue(m.spec().encoder().path().endsWith("models/speech_encoder/large-v3.pt"), m.spec().encoder().path());
            assertTrue(m.speech().isPresent(), "the vocoder beside the model directory gives it a voice");
            assertEquals(40, m.speech().get().omega());
            matches(m, OMNI, "LLaMA-Omni");
        }
    }

    @Test
    void ultravoxAsReleased() {
        try (SpeechLlm m = SpeechLlm.load(Golden.dir(UV), DType.F32, ultravoxParts())) {
            assertFalse(m.spec().encoder().pad30s(), "Ultravox does not pad to 30 s");
            assertTrue(m.speech().isEmpty());
            matches(m, UV, "Ultravox");
        }
    }

    /** The same Ultravox saved whole (configs embedded, audio_tower.* and language_model.* in its checkpoint): no other directory needed. */
    @Test
    void ultravoxFullCheckpoint() {
        try (SpeechLlm m = SpeechLlm.load(Golden.dir("released/ultravox-full"), DType.F32)) {
            matches(m, "released/ultravox-full", "Ultravox (full checkpoint)");
        }
    }

    /** Embeddings, prompt ids, hidden states [T, D] and the last logits against the numpy reference; a session's prefill agrees. */
    private static void matches(SpeechLlm m, String dir, String what) {
        JsonNode ex = Golden.json(dir);
        AudioClip clip = question();
        Turn turn = Turn.user(Turn.speech(clip));
        try (PointerScope scope = new PointerScope()) {
            Tensor speech = m.encode(clip);                                               // [T', D]
            double errE = Golden.maxAbsDiff(Golden.npy(dir, "expected_speech_embeddings.npy").data(), Torch.toFloats(speech));
            List<Integer> ids = new ArrayList<>();
            List<Tensor> pieces = new ArrayList<>();
            for (PromptBuilder.Item it : m.prompt().build(List.of(turn), true)) {
                switch (it) {
                    case PromptBuilder.Tokens t -> {
                        for (int id : t.ids()) ids.add(id);
                        pieces.add(m.llm().embed(Torch.fromInts(t.ids())));             // [n, D]
                    }
                    case PromptBuilder.Slot s -> {
                        pieces.add(speech);
                        if (dir.equals(OMNI)) ids.add(-200);                            // LLaMA-Omni's SPEECH_TOKEN_INDEX
                        else for (long i = 0; i < speech.size(0); i++) ids.add(260);    // Ultravox's placeholder: EOS (<|eot_id|>) per row
                    }
                }
            }
            assertArrayEquals(Golden.ints(ex.get("input_ids")), ids.stream().mapToInt(Integer::intValue).toArray(), what + " prompt ids");
            Tensor x = torch.cat(new TensorVector(pieces.toArray(Tensor[]::new)), 0).unsqueeze(0);   // [1, T, D]
            Tensor hidden = m.llm().forward(x, 0, null, null, null).select(0, 0);               // [T, D]
            double errH = Golden.maxAbsDiff(Golden.npy(dir, "expected_hidden.npy").data(), Torch.toFloats(hidden));
            long t = hidden.size(0);
            Tensor tail = m.llm().logits(hidden.narrow(0, t - 8, 8));                           // [8, V]
            double errL = Golden.maxAbsDiff(Golden.npy(dir, "expected_logits_tail.npy").data(), Torch.toFloats(tail));
            double errS;
            try (SpeechSession s = m.newSession()) {
                float[] last = Torch.toFloats(s.prefill(turn));
                float[] want = Golden.rows(Golden.npy(dir, "expected_logits_tail.npy").data(), last.length, 7, 1);
                errS = Golden.maxAbsDiff(want, last);
                assertEquals(t, s.position(), "positions fed");
            }
            System.out.printf("%s released layout: speech embeddings %s max |Δ| %.2e; hidden [%d, %d] %.2e; logits tail %.2e; session prefill %.2e%n",
                    what, java.util.Arrays.toString(Torch.shape(speech)), errE, t, hidden.size(1), errH, errL, errS);
            assertTrue(errE < TOL && errH < TOL && errL < TOL && errS < TOL, errE + " / " + errH + " / " + errL + " / " + errS);
            assertEquals(ex.get("positions").asLong(), t);
        }
    }

    /** The translation is an ordinary auris.json model: saved, it reloads (encoder .pt, LLM, voice referenced) to the same outputs. */
    @Test
    void savedAsAurisJsonItLoadsTheSame() {
        Path out = tmp.resolve("omni-auris");
        AudioClip clip = question();
        try (SpeechLlm m = SpeechLlm.load(Golden.dir(OMNI), DType.F32); PointerScope scope = new PointerScope()) {
            m.save(out);
            try (SpeechLlm again = SpeechLlm.load(out, DType.F32)) {
                assertTrue(Files.isRegularFile(out.resolve("auris.json")));
                assertTrue(again.speech().isPresent());
                assertEquals(m.spec().prompt(), again.spec().prompt());
                assertEquals(0, Golden.maxAbsDiff(Torch.toFloats(m.encode(clip)), Torch.toFloats(again.encode(clip))));
                try (SpeechSession a = m.newSession(); SpeechSession b = again.newSession()) {
                    Turn turn = Turn.user(Turn.speech(clip));
                    assertEquals(0, Golden.maxAbsDiff(Torch.toFloats(a.prefill(turn)), Torch.toFloats(b.prefill(turn))));
                }
            }
        }
    }

    @Test
    void openaiWhisperCheckpointAsSavedByWhisperIsRefusedWithTheWayOut() {
        var o = new ReleasedLayout.Overrides(Golden.dir("released").resolve("models/speech_encoder/large-v3-state_dict.pt"), null, null);
        String msg = assertThrows(CheckpointException.class, () -> SpeechLlm.load(Golden.dir(OMNI), DType.F32, o).close()).getMessage();
        assertTrue(msg.contains("large-v3-state_dict.pt") && msg.contains("OrderedDict") && msg.contains("--encoder"), msg);
    }

    @Test
    void anUnreadableVocoderIsNamed() throws Exception {
        Path voc = tmp.resolve("vocoder");
        Files.createDirectories(voc);
        Files.copy(Golden.dir("released").resolve("vocoder/config.json"), voc.resolve("config.json"));
        Files.copy(Golden.dir("speech/codehifigan-tiny").resolve("g_00000000_state_dict.pt"), voc.resolve("g_00500000"));   // fairseq's OrderedDict layout
        var o = new ReleasedLayout.Overrides(null, null, voc);
        String msg = assertThrows(CheckpointException.class, () -> SpeechLlm.load(Golden.dir(OMNI), DType.F32, o).close()).getMessage();
        assertTrue(msg.contains("g_00500000") && msg.contains("OrderedDict") && msg.contains("--vocoder"), msg);
    }

    @Test
    void hubNamesNeedLocalDirectories() {
        String msg = assertThrows(CheckpointException.class, () -> SpeechLlm.load(Golden.dir(UV), DType.F32, ReleasedLayout.Overrides.NONE).close()).getMessage();
        assertTrue(msg.contains("audio_model_id 'openai/whisper-large-v3-turbo'") && msg.contains("--encoder"), msg);
        var audioOnly = new ReleasedLayout.Overrides(Golden.dir(UV).resolve("audio"), null, null);
        msg = assertThrows(CheckpointException.class, () -> SpeechLlm.load(Golden.dir(UV), DType.F32, audioOnly).close()).getMessage();
        assertTrue(msg.contains("text_model_id 'meta-llama/Llama-3.2-1B-Instruct'") && msg.contains("--llm"), msg);
    }

    @Test
    void missingEncoderSaysWhereItLooked() throws Exception {
        Path d = copy(OMNI, "speech_projector.linear1.bias", new long[]{64});
        String msg = assertThrows(CheckpointException.class, () -> SpeechLlm.load(d, DType.F32, ReleasedLayout.Overrides.NONE).close()).getMessage();
        assertTrue(msg.contains("models/speech_encoder/large-v3.pt") && msg.contains("--encoder"), msg);
    }

    @Test
    void wrongLayoutsNameTheTensor() throws Exception {
        var enc = new ReleasedLayout.Overrides(Golden.dir("released").resolve("models/speech_encoder/large-v3.pt"), null, null);
        Path missing = copy(OMNI, "speech_projector.linear2.bias", null);
        String msg = assertThrows(CheckpointException.class, () -> SpeechLlm.load(missing, DType.F32, enc).close()).getMessage();
        assertTrue(msg.contains("speech_projector.linear2.bias") && msg.contains("missing"), msg);
        Path shape = copy(OMNI, "speech_projector.linear1.weight", new long[]{64, 100});
        msg = assertThrows(CheckpointException.class, () -> SpeechLlm.load(shape, DType.F32, enc).close()).getMessage();
        assertTrue(msg.contains("speech_projector.linear1.weight") && msg.contains("[64, 100]") && msg.contains("[64, 160]"), msg);
        Path noProjector = copy(OMNI, "speech_projector.linear1.weight", null);
        msg = assertThrows(CheckpointException.class, () -> SpeechLlm.load(noProjector, DType.F32, enc).close()).getMessage();
        assertTrue(msg.contains("speech_projector.linear1.weight") && msg.contains("missing"), msg);
        Path uv = copy(UV, "multi_modal_projector.ln_mid.weight", null);
        msg = assertThrows(CheckpointException.class, () -> SpeechLlm.load(uv, DType.F32, ultravoxParts()).close()).getMessage();
        assertTrue(msg.contains("multi_modal_projector.ln_mid.weight") && msg.contains("missing"), msg);
        Path uvShape = copy(UV, "multi_modal_projector.linear_2.weight", new long[]{32, 64});
        msg = assertThrows(CheckpointException.class, () -> SpeechLlm.load(uvShape, DType.F32, ultravoxParts()).close()).getMessage();
        assertTrue(msg.contains("multi_modal_projector.linear_2.weight") && msg.contains("[32, 64]") && msg.contains("[32, 32]"), msg);
    }

    /** A copy of a golden release (its files, not its subdirectories) with one tensor replaced by zeros of {@code shape}, or dropped when null. */
    private Path copy(String dir, String name, long[] shape) throws Exception {
        Path src = Golden.dir(dir), dst = tmp.resolve(src.getFileName() + "-" + name + (shape == null ? "" : "-" + shape.length));
        Files.createDirectories(dst);
        try (var files = Files.list(src)) {
            for (Path f : files.toList()) if (Files.isRegularFile(f) && !f.getFileName().toString().equals("model.safetensors")) Files.copy(f, dst.resolve(f.getFileName()));
        }
        Map<String, SafeTensorsWriter.Entry> t = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(src.resolve("model.safetensors"))) {
            for (var e : st.tensors().values()) {
                if (!e.name().equals(name)) t.put(e.name(), new SafeTensorsWriter.Entry(e.dtype(), e.shape(), st.data(e.name())));
                else if (shape != null) {
                    long n = 1;
                    for (long s : shape) n *= s;
                    t.put(name, new SafeTensorsWriter.Entry(DType.F32, shape, java.nio.ByteBuffer.allocate((int) (n * 4))));
                }
            }
            SafeTensorsWriter.write(dst.resolve("model.safetensors"), t, Map.of());
        }
        return dst;
    }
}
