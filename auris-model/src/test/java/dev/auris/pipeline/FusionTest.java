package dev.auris.pipeline;

import dev.auris.prompt.PromptSpec;
import dev.auris.prompt.Turn;
import dev.auris.core.Torch;
import dev.auris.fusion.Connector;
import dev.auris.core.DType;
import dev.auris.sample.SamplingOptions;
import dev.auris.testing.Fixtures;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.*;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Every fusion strategy composes, trains what it should, saves exactly, and chats consistently. */
class FusionTest {
    @TempDir
    static Path tmp;
    static Path llm;

    @BeforeAll
    static void models() {
        llm = Fixtures.stories260K(tmp);
    }

    static final List<Map<String, Object>> SELECTORS = List.of(
            Map.of("type", "final"),
            Map.of("type", "weighted", "layers", List.of(0, 1, 2)),
            Map.of("type", "window-queries", "window", 4, "queries", 2, "heads", 2));
    static final List<Map<String, Object>> CONNECTORS = List.of(
            Map.of("type", "frame-stack-mlp", "k", 5, "hidden", 96),
            Map.of("type", "linear", "k", 2),
            Map.of("type", "conv", "k", 3, "hidden", 80),
            Map.of("type", "token-mapper", "units", 16),
            Map.of("type", "ctc-compress"),
            Map.of("type", "audio-vocab", "units", 16),
            Map.of("type", "ultravox", "stack_factor", 4, "hidden", 96, "ln_mid", true));

    static Stream<Object[]> combinations() {
        List<Object[]> out = new ArrayList<>();
        for (var s : SELECTORS) for (var c : CONNECTORS) out.add(new Object[]{s, c});
        return out.stream();
    }

    static SpeechLlm compose(String name, Map<String, Object> selector, Map<String, Object> connector) {
        return SpeechLlm.compose(tmp.resolve(name), Fixtures.whisperTiny(), llm, selector, connector,
                new PromptSpec(null, null, null, true), false, 7, DType.F32);
    }

    @ParameterizedTest
    @MethodSource("combinations")
    void composesRunsAndTrainsExactlyTheFusionParameters(Map<String, Object> selector, Map<String, Object> connector) {
        String name = selector.get("type") + "-" + connector.get("type");
        try (SpeechLlm m = compose(name, selector, connector); PointerScope scope = new PointerScope()) {
            Map<String, Tensor> trainable = m.trainableTensors();
            trainable.values().forEach(t -> t.requires_grad_(true));
            Tensor audio = m.encode(Fixtures.jfk(0.5, 1.2));                    // [T', 64]
            assertEquals(2, audio.dim());
            assertEquals(64, audio.size(1));
            assertTrue(audio.size(0) >= 1);
            Tensor heard = heard(m, Fixtures.jfk(0.5, 1.2));                     // what a session feeds: for ctc-compress the decoded tokens' rows
            assertEquals(64, heard.size(1));
            assertTrue(heard.size(0) >= 1);
            Tensor text = m.llm().embed(Torch.fromInts(new int[]{1, 300, 301}));
            Tensor x = torch.cat(new TensorVector(text, audio), 0).unsqueeze(0);
            Tensor h = m.llm().forward(x, 0, null, null, null);
            Tensor logits = m.logits(h);                                          // [1, T, V(+K)]
            int extra = connector.get("type").equals("audio-vocab") ? 16 : 0;
            assertEquals(512 + extra, logits.size(2));
            Tensor loss = torch.log_softmax(logits, -1).select(2, 7).mean().neg();
            if (trainable.isEmpty()) {
                assertFalse(loss.requires_grad(), "nothing should train for " + name);
            } else {
                loss.backward();
            }
            boolean discrete = m.connector().discrete();
            for (var e : m.trainedTensors().entrySet()) {
                boolean meant = trainable.containsKey(e.getKey());
                Tensor g = e.getValue().grad();
                boolean hasGrad = g != null && !g.isNull() && g.defined() && Torch.toFloats(g.abs().sum()).length == 1 && Torch.toFloats(g.abs().sum())[0] > 0;
                assertEquals(meant, hasGrad, e.getKey() + " of " + name + (meant ? " should" : " should not") + " receive a gradient");
                if (e.getKey().startsWith("selector.")) assertEquals(!discrete, meant, e.getKey());
            }
            // the encoder and the LLM stay frozen
            assertFalse(m.llm().embedTokens().requires_grad());
            assertFalse(m.llm().layers().getFirst().qProj().weight().requires_grad());
            trainable.values().forEach(t -> t.requires_grad_(false));
        }
    }

    /** A llama.cpp GGUF file as the speech LLM's LLM (auris.json's llm path), here behind Ultravox's projector; it loads back as saved. */
    @Test
    void aGgufFileServesAsTheLlm() {
        Path gguf = tmp.resolve("stories260K-q8_0.gguf");
        dev.auris.llm.GgufExport.write(llm, dev.auris.io.GgmlType.Q8_0, gguf);
        var clip = Fixtures.jfk(0.5, 1.2);
        try (SpeechLlm m = SpeechLlm.compose(tmp.resolve("gguf-llm"), Fixtures.whisperTiny(), gguf, Map.of("type", "final"),
                Map.of("type", "ultravox", "stack_factor", 8, "hidden", 64), new PromptSpec(null, null, null, true), false, 7, DType.F32);
             PointerScope scope = new PointerScope()) {
            Tensor audio = m.encode(clip);                                        // [T', 64]
            assertEquals(64, audio.size(1));
            StringBuilder answer = new StringBuilder();
            try (SpeechSession s = m.newSession()) {
                s.respond(Turn.user(Turn.speech(clip)), SamplingOptions.greedy(4), e -> { if (e instanceof Event.TextDelta d) answer.append(d.text()); });
            }
            try (SpeechLlm back = SpeechLlm.load(tmp.resolve("gguf-llm"), DType.F32)) {
                assertArrayEquals(Torch.toFloats(audio), Torch.toFloats(back.encode(clip)), 1e-6f);
                StringBuilder again = new StringBuilder();
                try (SpeechSession s = back.newSession()) {
                    s.respond(Turn.user(Turn.speech(clip)), SamplingOptions.greedy(4), e -> { if (e instanceof Event.TextDelta d) again.append(d.text()); });
                }
                assertEquals(answer.toString(), again.toString());
            }
        }
    }

    @Test
    void frameStackingDropsTheRemainderAndPadsShortClips() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = torch.arange(Torch.scalar(0), Torch.scalar(2 * 12 * 3), new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Float)).reshape(2, 12, 3);
            Tensor s = Connector.stackFrames(x, 5);                              // 12 frames, k=5: 2 groups, 2 frames dropped
            assertArrayEquals(new long[]{2, 2, 15}, Torch.shape(s));
            assertArrayEquals(Torch.toFloats(x.narrow(1, 5, 5).reshape(2, 15).select(0, 0)), Torch.toFloats(s.select(0, 0).select(0, 1)));
            Tensor shortClip = Connector.stackFrames(x.narrow(1, 0, 3), 5);      // 3 frames < k: padded to one group
            assertArrayEquals(new long[]{2, 1, 15}, Torch.shape(shortClip));
            float[] row = Torch.toFloats(shortClip.select(0, 0).select(0, 0));
            for (int i = 9; i < 15; i++) assertEquals(0f, row[i]);
        }
    }

    @Test
    void ctcCompressTurnsConfidentSegmentsIntoTheTokensOwnEmbeddings() {
        try (var base = dev.auris.llm.Llm.load(llm, DType.F32); PointerScope scope = new PointerScope()) {
            float[] w = new float[513 * 3];
            w[5 * 3] = 50;          // token 5 <- feature 0
            w[7 * 3 + 1] = 50;      // token 7 <- feature 1
            w[512 * 3 + 2] = 50;    // blank   <- feature 2
            var head = new dev.auris.nn.Linear(Torch.fromFloats(w, 513, 3), torch.zeros(new long[]{513}));
            var ctc = new dev.auris.fusion.CtcCompress(head, 512, 1.0, 0.5, Map.of());
            // path: 5 5 blank 7 blank 7 -> segments [5] [7] [7] (a repeat across a blank is a new token)
            float[] f = {1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0};
            Tensor feats = Torch.fromFloats(f, 1, 6, 3);
            Tensor e = ctc.embed(feats, base.embedTokens());                                   // [1, 3, 64]
            assertArrayEquals(new long[]{1, 3, 64}, Torch.shape(e));
            Tensor want = base.embed(Torch.fromInts(new int[]{5, 7, 7}));
            assertArrayEquals(Torch.toFloats(want), Torch.toFloats(e.select(0, 0)), 1e-5f);
            assertArrayEquals(new int[]{5, 7, 7}, dev.auris.hearing.CtcHearing.greedy(ctc, feats.select(0, 0)));
            // inference hears the same tokens through the beam search with the LLM as language model: a CTC this
            // sure outweighs the story LLM's low opinion of these two tokens after BOS
            var decoding = new dev.auris.hearing.Decoding(4, 0.5, 0, List.of());
            var scorer = dev.auris.hearing.CtcHearing.scorer(ctc, List.of(feats.select(0, 0)));
            assertArrayEquals(new int[]{5, 7, 7}, dev.auris.hearing.CtcHearing.firstPass(scorer, base, new int[]{1}, decoding));
            assertThrows(IllegalArgumentException.class, () -> dev.auris.hearing.CtcHearing.firstPass(scorer, base, new int[0], decoding));
            // all blank: one segment, the least-blank frame
            float[] allBlank = {0, 0, 1, 0.2f, 0, 0.9f, 0, 0, 1};
            assertEquals(1, ctc.embed(Torch.fromFloats(allBlank, 1, 3, 3), base.embedTokens()).size(1));
            // views of one clip: the scorer reads the log of their mean posteriors (frame 0's blank: 1/2 of p1 + p2)
            Tensor v1 = Torch.fromFloats(new float[]{0, 0, 0.1f, 0, 0, 0.1f}, 2, 3), v2 = Torch.fromFloats(new float[]{0, 0, 0.05f, 1, 0, 0}, 2, 3);
            double p1 = blankProbability(ctc, v1), p2 = blankProbability(ctc, v2);
            assertEquals(Math.log((p1 + p2) / 2), dev.auris.hearing.CtcHearing.scorer(ctc, List.of(v1, v2)).initial().rb()[0], 1e-5);
            assertEquals(Math.log(p1), dev.auris.hearing.CtcHearing.scorer(ctc, List.of(v1)).initial().rb()[0], 1e-5);
            var e2 = assertThrows(IllegalArgumentException.class, () -> dev.auris.hearing.CtcHearing.scorer(ctc, List.of(v1, Torch.fromFloats(new float[9], 3, 3))));
            assertTrue(e2.getMessage().contains("one T"), e2.getMessage());
        }
    }

    /** The CTC head's blank probability at frame 0 of features [T, 3]. */
    private static double blankProbability(dev.auris.fusion.CtcCompress ctc, Tensor features) {
        return Torch.toFloats(torch.softmax(ctc.head().apply(features), -1).select(0, 0))[512];
    }

    @Test
    void audioVocabLeavesTextLogitsUnchanged() {
        try (SpeechLlm m = compose("vocab", Map.of("type", "final"), Map.of("type", "audio-vocab", "units", 16));
             var base = dev.auris.llm.Llm.load(llm, DType.F32); PointerScope scope = new PointerScope()) {
            int[] ids = {1, 403, 261, 378, 350};
            Tensor h = m.llm().forward(m.llm().embed(Torch.fromInts(ids).unsqueeze(0)), 0, null, null, null);
            Tensor ext = m.logits(h);
            assertEquals(512 + 16, ext.size(2));
            Tensor hb = base.forward(base.embed(Torch.fromInts(ids).unsqueeze(0)), 0, null, null, null);
            assertArrayEquals(Torch.toFloats(base.logits(hb)), Torch.toFloats(ext.narrow(2, 0, 512)), 0f);
        }
    }

    @Test
    void saveAndLoadReproduceOutputsBitExactly() {
        var clip = Fixtures.jfk(1.0, 1.5);
        try (SpeechLlm m = compose("save-src", Map.of("type", "weighted", "layers", List.of(1, 2)), Map.of("type", "frame-stack-mlp", "k", 5, "hidden", 96));
             PointerScope scope = new PointerScope()) {
            // make the weights non-trivial, as training would
            m.trainedTensors().values().forEach(t -> t.add_(torch.randn(Torch.shape(t)).mul(Torch.scalar(0.1))));
            Path copy = tmp.resolve("save-copy");
            m.save(copy);
            float[] a = Torch.toFloats(m.encode(clip));
            try (SpeechLlm n = SpeechLlm.load(copy, DType.F32)) {
                assertArrayEquals(a, Torch.toFloats(n.encode(clip)), 0f);
                assertEquals(m.spec().connector(), n.spec().connector());
            }
        }
    }

    @Test
    void loadSaysWhichAurisJsonFieldToFix() throws Exception {
        try (SpeechLlm m = compose("validate", Map.of("type", "final"), Map.of("type", "frame-stack-mlp", "k", 5, "hidden", 96))) {
            // composed and saved
        }
        Path dir = tmp.resolve("validate");
        String spec = java.nio.file.Files.readString(dir.resolve("auris.json"));
        java.nio.file.Files.writeString(dir.resolve("auris.json"), spec.replace("\"k\" : 5", "\"k\" : 4"));
        var e = assertThrows(dev.auris.io.CheckpointException.class, () -> SpeechLlm.load(dir, DType.F32));
        assertTrue(e.getMessage().contains("auris.json: connector") && e.getMessage().contains("connector.fc1.weight")
                && e.getMessage().contains("[96, 256]") && e.getMessage().contains("[96, 320]"), e.getMessage());
        java.nio.file.Files.writeString(dir.resolve("auris.json"), spec.replace("\"frame-stack-mlp\"", "\"mlp\""));
        var u = assertThrows(dev.auris.io.CheckpointException.class, () -> SpeechLlm.load(dir, DType.F32));
        assertTrue(u.getMessage().contains("connector.type 'mlp' is unknown"), u.getMessage());
    }

    /** A conversation hears a clip as the model's own transcript (what auris transcribe prints), over averaged warped views when asked. */
    @Test
    void aConversationHearsTheTranscriptAndDecodingSettingsSurviveLoading() {
        var prompt = new PromptSpec(null, null, null, "Transcribe the speech into text.", true);
        try (SpeechLlm m = SpeechLlm.compose(tmp.resolve("hears"), Fixtures.whisperTiny(), llm, Map.of("type", "final"),
                Map.of("type", "ctc-compress", "blank_threshold", 0.99, "length_bonus", 0.5, "tta_warps", List.of(0.9, 1, 1.1)), prompt, false, 7, DType.F32);
             PointerScope scope = new PointerScope()) {
            assertEquals(List.of(0.9, 1.0, 1.1), m.decoding().ttaWarps());
            assertEquals(0.5, m.decoding().lengthBonus());
            assertInstanceOf(Hearing.Transcript.class, m.hearing());
            var clip = Fixtures.jfk(0.5, 1.2);
            int frames = (int) m.selector().select(m.encodeAudio(clip)).size(1);            // a conversation's budget: no CTC output is longer
            String transcript = m.transcriber(Transcriber.Kind.JOINT).transcribe(clip, frames);
            Tensor heard = heard(m, clip);
            int[] typed = m.text().tokenizer().encode(transcript);
            Tensor want = typed.length == 0 ? m.encode(clip) : m.llm().embed(Torch.fromInts(typed));
            assertArrayEquals(Torch.shape(want), Torch.shape(heard), "heard '" + transcript + "'");
            assertArrayEquals(Torch.toFloats(want), Torch.toFloats(heard), 1e-6f);
            try (SpeechLlm back = SpeechLlm.load(tmp.resolve("hears"), DType.F32)) {     // as compose saved it
                assertEquals(m.decoding(), back.decoding());
                assertEquals(transcript, back.transcriber(Transcriber.Kind.JOINT).transcribe(clip, frames));
            }
        }
        var bad = assertThrows(dev.auris.io.CheckpointException.class, () -> SpeechLlm.compose(tmp.resolve("bad-warps"), Fixtures.whisperTiny(), llm,
                Map.of("type", "final"), Map.of("type", "ctc-compress", "tta_warps", 0.9), prompt, false, 7, DType.F32));
        assertTrue(bad.getMessage().contains("tta_warps must be a list"), bad.getMessage());
        var negative = assertThrows(RuntimeException.class, () -> SpeechLlm.compose(tmp.resolve("bad-bonus"), Fixtures.whisperTiny(), llm,
                Map.of("type", "final"), Map.of("type", "ctc-compress", "length_bonus", -1), prompt, false, 7, DType.F32));
        assertTrue(negative.getMessage().contains("length_bonus must be in [0, 5"), negative.getMessage());
    }

    @Test
    void jointTranscriptionAndHearingFreeTheirNativeMemory() {
        try (SpeechLlm m = compose("leak", Map.of("type", "final"), Map.of("type", "ctc-compress"))) {
            var clip = Fixtures.jfk(0.5, 0.5);
            Runnable round = () -> {
                assertNotNull(m.transcriber(Transcriber.Kind.JOINT).transcribe(clip, 8));
                try (SpeechSession s = m.newSession()) {
                    s.respond(Turn.user(Turn.speech(clip)), SamplingOptions.greedy(4), e -> {});
                }
            };
            Fixtures.warmUntilJitSettles(r -> round.run(), 40);                                // warm-up: allocator pools, JIT
            long[] samples = new long[21], pointers = new long[21];
            for (int i = 0; i <= 20; i++) {
                if (i > 0) round.run();
                samples[i] = Fixtures.nativeInUse();
                pointers[i] = org.bytedeco.javacpp.Pointer.totalCount();
            }
            org.junit.jupiter.api.Assumptions.assumeTrue(samples[0] >= 0, "needs glibc's mallinfo2");
            // no tensor outlives its round: JavaCPP counts every native object that owns its memory until it is freed, by a
            // scope or (an escaped one) by the GC later, so a round that leaks one raises the count every round; an earlier
            // test's garbage collected meanwhile only lowers it
            assertTrue(Fixtures.medianGrowth(pointers) <= 0 && pointers[20] <= pointers[0], "native objects alive after each round: " + java.util.Arrays.toString(pointers));
            // and the libraries' malloc'd bytes do not grow: the median change a round (a leak grows every round). A round
            // makes ~100 LLM calls in the two beam searches: one leaked logits row [512] a call is 200 kB a round.
            long median = Fixtures.medianGrowth(samples);
            System.out.printf("hearing rounds: native malloc in use, median change %+d B a round (over 20 rounds %+d kB)%n", median, (samples[20] - samples[0]) >> 10);
            assertTrue(median < (100 << 10), "live malloc'd memory grows by " + median + " B a round: samples " + java.util.Arrays.toString(samples));
        }
    }

    @Test
    void threeTurnConversationEqualsOnePrefill() {
        var greedy = SamplingOptions.greedy(6);
        try (SpeechLlm m = compose("chat", Map.of("type", "final"), Map.of("type", "linear", "k", 2))) {
            var a = Turn.speech(Fixtures.jfk(0.3, 0.8));
            var b = Turn.speech(Fixtures.jfk(2.0, 1.1));
            var c = Turn.speech(Fixtures.jfk(4.0, 0.9));
            List<Turn> turns = List.of(Turn.user(Turn.text("Once upon a time"), a, Turn.text(" and then"), b),
                    Turn.user(c), Turn.user(Turn.text(" The end.")));
            Event.Done last;
            List<Turn> history;
            try (SpeechSession s = m.newSession()) {
                s.respond(turns.get(0), greedy, e -> {});
                s.respond(turns.get(1), greedy, e -> {});
                last = s.respond(turns.get(2), greedy, e -> {});
                history = new ArrayList<>(s.history());
            }
            try (SpeechSession fresh = m.newSession(); PointerScope scope = new PointerScope()) {
                history.subList(0, history.size() - 2).forEach(fresh::add);
                int before = fresh.position();
                assertEquals(0, before);
                Event.Done again = fresh.respond(history.get(history.size() - 2), greedy, e -> {});
                assertEquals(last.text(), again.text());
                assertEquals(last.tokens(), again.tokens());
            }
        }
    }

    /** What a session feeds for a clip as the model hears it, as embeddings [T', D]. */
    static Tensor heard(SpeechLlm m, dev.auris.audio.AudioClip clip) {
        return switch (m.hear(clip, m.hearing())) {
            case Hearing.Embeddings e -> e.embeddings();
            case Hearing.Tokens t -> m.llm().embed(Torch.fromInts(t.ids()));
        };
    }
}
