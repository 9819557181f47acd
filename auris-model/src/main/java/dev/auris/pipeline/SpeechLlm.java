package dev.auris.pipeline;

import dev.auris.audio.AudioClip;
import dev.auris.core.Torch;
import dev.auris.encoder.WhisperEncoder;
import dev.auris.features.LogMel;
import dev.auris.fusion.Connector;
import dev.auris.fusion.FeatureSelector;
import dev.auris.fusion.Params;
import dev.auris.io.*;
import dev.auris.llm.Llm;
import dev.auris.llm.TextModel;
import dev.auris.sample.CtcPrefixScorer;
import dev.auris.sample.JointCtcDecoder;
import dev.auris.sample.SamplingOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * A speech LLM: Whisper encoder → feature selector → connector → LLM, as an auris.json directory
 * describes it. Immutable and thread-safe (inference never writes the weights); conversations live in
 * {@link SpeechSession}s.
 *
 * <p>{@code try (SpeechLlm m = SpeechLlm.load(dir, DType.F32); SpeechSession s = m.newSession()) {
 * s.respond(Turn.user(Turn.speech(clip)), options, event -> ...); }}
 */
public final class SpeechLlm implements AutoCloseable {
    private final Path dir;
    private final SpeechModelSpec spec;
    private final WhisperEncoder encoder;
    private final FeatureSelector selector;
    private final Connector connector;
    private final TextModel text;  // the base LLM, tokenizer, template
    private final Llm llm;         // the base LLM, or a LoRA view of it
    private final PromptBuilder prompt;

    private SpeechLlm(Path dir, SpeechModelSpec spec, WhisperEncoder encoder, FeatureSelector selector, Connector connector, TextModel text, Llm llm) {
        this.dir = dir;
        this.spec = spec;
        this.encoder = encoder;
        this.selector = selector;
        this.connector = connector;
        this.text = text;
        this.llm = llm;
        this.prompt = new PromptBuilder(spec.prompt() != null && spec.prompt().template() != null
                ? new dev.auris.prompt.ChatTemplate(spec.prompt().template(), "", "") : text.chatTemplate().orElse(null),
                text.tokenizer(), spec.prompt() == null ? new SpeechModelSpec.PromptSpec(null, null, null, false) : spec.prompt());
    }

    public static SpeechLlm load(Path dir, DType dtype) {
        return load(dir, dtype, null, 0);
    }

    /**
     * Loads the model; when it has no LoRA adapters yet and {@code newLora} is given, fresh adapters
     * (B = 0, so outputs are unchanged) are attached for training.
     */
    public static SpeechLlm load(Path dir, DType dtype, dev.auris.llm.LoraSpec newLora, long seed) {
        SpeechModelSpec spec = SpeechModelSpec.read(dir);
        if (spec.weights() == null) throw new CheckpointException(dir.resolve("auris.json") + ": missing weights (the safetensors file of the trained parts)");
        try (Checkpoint fusion = Checkpoint.of(dir, List.of(dir.resolve(spec.weights())))) {
            SpeechLlm m = build(dir, spec, fusion, dtype, newLora, seed);
            Set<String> used = new HashSet<>();
            m.selector.parameters().keySet().forEach(n -> used.add("selector." + n));
            m.connector.parameters().keySet().forEach(n -> used.add("connector." + n));
            for (String n : fusion.names()) {
                if (!used.contains(n)) {
                    m.close();
                    throw new CheckpointException(dir.resolve(spec.weights()).toString(), n, "is not used by the selector/connector auris.json describes",
                            "auris.json and the weights disagree: restore the auris.json saved with these weights");
                }
            }
            return m;
        }
    }

    private static SpeechLlm build(Path dir, SpeechModelSpec spec, WeightSource weights, DType dtype, dev.auris.llm.LoraSpec newLora, long seed) {
        WhisperEncoder enc = WhisperEncoder.load(dir.resolve(spec.encoder().path()), dtype);
        TextModel text = null;
        try {
            text = TextModel.load(dir.resolve(spec.llm().path()), dtype);
            int de = enc.config().dModel(), d = text.llm().config().hiddenSize();
            FeatureSelector sel;
            Connector con;
            try {
                sel = Fusion.selector(spec.selector(), de, enc.config().layers(), new Params("selector.", weights, dtype));
            } catch (CheckpointException e) {
                throw new CheckpointException("selector " + spec.selector() + " with encoder width " + de + ": " + e.getMessage(), e);
            }
            try {
                con = Fusion.connector(spec.connector(), de, d, text.llm().config().vocabSize(), new Params("connector.", weights, dtype));
            } catch (CheckpointException e) {
                throw new CheckpointException("connector " + spec.connector() + " between encoder width " + de + " and LLM width " + d
                        + " (auris.json: connector, or the encoder/LLM paths): " + e.getMessage(), e);
            }
            Llm llm = text.llm();
            if (spec.lora() != null) {
                dev.auris.llm.LoraSpec ls = loraSpec(spec.lora());
                Path f = dir.resolve(String.valueOf(spec.lora().getOrDefault("weights", "lora.safetensors")));
                try (Checkpoint c = Checkpoint.of(dir, List.of(f))) {
                    llm = llm.withLora(ls, c, dtype);
                }
            } else if (newLora != null) {
                llm = llm.withLora(newLora, dev.auris.llm.LoraSpec.init(seed), dtype);
            }
            return new SpeechLlm(dir, spec, enc, sel, con, text, llm);
        } catch (RuntimeException e) {
            enc.close();
            if (text != null) text.close();
            throw e;
        }
    }

    /**
     * Creates a new, untrained speech LLM directory {@code out}: auris.json pointing at the encoder and LLM
     * directories (relative paths) and randomly initialised selector/connector weights.
     */
    public static SpeechLlm compose(Path out, Path encoderDir, Path llmDir, Map<String, Object> selector, Map<String, Object> connector,
                                    SpeechModelSpec.PromptSpec prompt, boolean pad30s, long seed, DType dtype) {
        try {
            Files.createDirectories(out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Path base = out.toAbsolutePath().normalize();
        SpeechModelSpec spec = new SpeechModelSpec(SpeechModelSpec.FORMAT,
                new SpeechModelSpec.EncoderRef(base.relativize(encoderDir.toAbsolutePath().normalize()).toString(), pad30s),
                new SpeechModelSpec.LlmRef(base.relativize(llmDir.toAbsolutePath().normalize()).toString()),
                selector, connector, prompt, "fusion.safetensors", null);
        WeightSource random = WeightSource.random(seed, 0.02);
        Path ctcHead = encoderDir.resolve("ctc_head.safetensors");
        if ("ctc-compress".equals(String.valueOf(connector.get("type"))) && Files.isRegularFile(ctcHead)) {
            try (Checkpoint head = Checkpoint.of(encoderDir, List.of(ctcHead))) {
                return buildAndSave(out, spec, fromEncoderCtcHead(random, head), dtype);
            }
        }
        return buildAndSave(out, spec, random, dtype);
    }

    private static SpeechLlm buildAndSave(Path out, SpeechModelSpec spec, WeightSource init, DType dtype) {
        SpeechLlm m = build(out, spec, init, dtype, null, 0);
        m.save(out);
        return m;
    }

    /** The ctc-compress head starts as the encoder's own CTC head (pretrained with it, blank last); the rest as {@code rest}. */
    private static WeightSource fromEncoderCtcHead(WeightSource rest, Checkpoint head) {
        return new WeightSource() {
            @Override
            public Tensor tensor(String name, DType dtype, long... shape) {
                return switch (name) {
                    case "connector.head.weight" -> head.tensor("weight", dtype, shape);
                    case "connector.head.bias" -> head.tensor("bias", dtype, shape);
                    default -> rest.tensor(name, dtype, shape);
                };
            }

            @Override
            public boolean contains(String name) { return rest.contains(name); }
        };
    }

    static dev.auris.llm.LoraSpec loraSpec(Map<String, Object> m) {
        Object t = m.get("targets");
        List<String> targets = t instanceof List<?> l ? l.stream().map(String::valueOf).toList() : dev.auris.llm.LoraSpec.ALL;
        return new dev.auris.llm.LoraSpec(Fusion.intOf(m, "rank", 8), ((Number) m.getOrDefault("alpha", 16)).doubleValue(),
                ((Number) m.getOrDefault("dropout", 0.0)).doubleValue(), targets);
    }

    static Map<String, Object> loraMap(dev.auris.llm.LoraSpec s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rank", s.rank());
        m.put("alpha", s.alpha());
        m.put("dropout", s.dropout());
        m.put("targets", s.targets());
        m.put("weights", "lora.safetensors");
        return m;
    }

    /** The LoRA spec of the attached adapters, if any. */
    public Optional<dev.auris.llm.LoraSpec> lora() {
        var layers = llm.layers();
        if (layers.isEmpty()) return Optional.empty();
        var l = layers.getFirst();
        for (var lin : List.of(l.qProj(), l.kProj(), l.vProj(), l.oProj(), l.gateProj(), l.upProj(), l.downProj())) {
            if (lin.lora() != null) {
                List<String> targets = new ArrayList<>();
                String[] names = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
                var lins = List.of(l.qProj(), l.kProj(), l.vProj(), l.oProj(), l.gateProj(), l.upProj(), l.downProj());
                for (int i = 0; i < names.length; i++) if (lins.get(i).lora() != null) targets.add(names[i]);
                return Optional.of(new dev.auris.llm.LoraSpec(lin.lora().rank(), lin.lora().scale() * lin.lora().rank(), lin.lora().dropout(), targets));
            }
        }
        return Optional.empty();
    }

    private static Map<String, SafeTensorsWriter.Entry> entries(Map<String, Tensor> tensors) {
        Map<String, SafeTensorsWriter.Entry> entries = new LinkedHashMap<>();
        tensors.forEach((n, t) -> entries.put(n, new SafeTensorsWriter.Entry(Torch.dtype(t.scalar_type()), Torch.shape(t), Torch.toBytes(t))));
        return entries;
    }

    /**
     * Writes auris.json, the selector/connector weights and the LoRA adapters (in their current dtype)
     * to {@code out}; the base encoder and LLM are referenced by relative path.
     */
    public void save(Path out) {
        save(out, false, false);
    }

    /**
     * Like {@link #save(Path)}; with {@code withLlm} / {@code withEncoder} (after full fine-tuning) the
     * LLM / encoder weights are written too, as Hugging Face directories {@code out/llm} and {@code out/encoder}
     * (the other files of the base directories are copied), and auris.json points at them.
     */
    public void save(Path out, boolean withLlm, boolean withEncoder) {
        Path llmDir = dir.resolve(spec.llm().path()), encDir = dir.resolve(spec.encoder().path());
        if (withLlm) {
            copyDir(llmDir, out.resolve("llm"));
            Map<String, Tensor> w = new LinkedHashMap<>(text.llm().baseTensors());
            SafeTensorsWriter.write(out.resolve("llm/model.safetensors"), entries(w), Map.of("format", "pt"));
            llmDir = out.resolve("llm");
        }
        if (withEncoder) {
            copyDir(encDir, out.resolve("encoder"));
            Map<String, Tensor> w = new LinkedHashMap<>();
            encoder.tensors().forEach((n, t) -> w.put("model.encoder." + n, t));
            SafeTensorsWriter.write(out.resolve("encoder/model.safetensors"), entries(w), Map.of("format", "pt"));
            encDir = out.resolve("encoder");
        }
        SafeTensorsWriter.write(out.resolve(spec.weights() == null ? "fusion.safetensors" : spec.weights()), entries(trainedTensors()),
                Map.of("format", "pt", "auris", SpeechModelSpec.FORMAT));
        Map<String, Object> loraSpec = lora().map(SpeechLlm::loraMap).orElse(null);
        if (loraSpec != null) {
            SafeTensorsWriter.write(out.resolve("lora.safetensors"), entries(llm.loraTensors()), Map.of("format", "pt"));
        }
        Path base = out.toAbsolutePath().normalize();
        SpeechModelSpec s = new SpeechModelSpec(spec.format(),
                new SpeechModelSpec.EncoderRef(base.relativize(encDir.toAbsolutePath().normalize()).toString(), spec.encoder().pad30s()),
                new SpeechModelSpec.LlmRef(base.relativize(llmDir.toAbsolutePath().normalize()).toString()),
                selector.spec(), new LinkedHashMap<>(connector.spec()), spec.prompt(), spec.weights() == null ? "fusion.safetensors" : spec.weights(), loraSpec);
        s.write(out);
    }

    /** Copies the files of a model directory except its weights (config, tokenizer, ...). */
    private static void copyDir(Path from, Path to) {
        try {
            Files.createDirectories(to);
            try (var s = Files.list(from)) {
                for (Path p : s.toList()) {
                    String n = p.getFileName().toString();
                    if (Files.isRegularFile(p) && !n.endsWith(".safetensors") && !n.equals("model.safetensors.index.json")) {
                        Files.copy(p, to.resolve(n), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot copy " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }

    /** Every tensor Auris trains or stores for this model, by file name (selector.*, connector.*). */
    public Map<String, Tensor> trainedTensors() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        selector.parameters().forEach((n, t) -> all.put("selector." + n, t));
        connector.parameters().forEach((n, t) -> all.put("connector." + n, t));
        return all;
    }

    /**
     * The trainable subset of {@link #trainedTensors()}: codebooks and id maps excluded, and the selector
     * too when the connector discretises the audio (no gradient reaches it through the units).
     */
    public Map<String, Tensor> trainableTensors() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        if (!connector.discrete()) selector.parameters().forEach((n, t) -> all.put("selector." + n, t));
        connector.parameters().forEach((n, t) -> {
            if (!connector.fixed().contains(n)) all.put("connector." + n, t);
        });
        return all;
    }

    public SpeechModelSpec spec() { return spec; }

    public Path dir() { return dir; }

    public WhisperEncoder encoder() { return encoder; }

    public FeatureSelector selector() { return selector; }

    public Connector connector() { return connector; }

    /** The LLM as the model runs it (with LoRA adapters when it has them). */
    public Llm llm() { return llm; }

    public TextModel text() { return text; }

    public PromptBuilder prompt() { return prompt; }

    /** Log-mel of a 16 kHz clip as this model's encoder takes it ([n_mels, frames]). */
    public Tensor mel(AudioClip clip) {
        AudioClip c = clip.resample(AudioClip.SAMPLE_RATE);
        LogMel lm = encoder.config().features();
        if (spec.encoder().pad30s()) {
            if (c.seconds() > LogMel.CHUNK_SECONDS) {
                throw new IllegalArgumentException("clip of " + String.format(Locale.ROOT, "%.1f", c.seconds()) + " s is longer than the encoder's 30 s window: split it");
            }
            return lm.computeWindow30s(c);
        }
        if (lm.frames(c.samples().length) > encoder.config().maxFrames()) {
            throw new IllegalArgumentException("clip of " + String.format(Locale.ROOT, "%.1f", c.seconds()) + " s is longer than the encoder's "
                    + String.format(Locale.ROOT, "%.0f", encoder.config().maxSeconds()) + " s window: split it");
        }
        return lm.compute(c);
    }

    /** Audio → LLM input embeddings [T', D] (encoder, selector, connector), in the caller's scope. */
    public Tensor encode(AudioClip clip) {
        return Torch.scoped(() -> encodeMel(mel(clip)).select(0, 0));
    }

    /**
     * A clip as the LLM hears it in a conversation [T', D], in the caller's scope. For a ctc-compress
     * connector with a beam: the model's own transcript of the clip (see {@link #jointTranscript}; a model
     * without a transcription instruction hears the first pass alone), tokenized as typed, as the LLM's own
     * embedding rows. A conversation thus hears exactly what {@code auris transcribe} prints, and speech
     * arrives as that text typed would. The soft segments of {@link #encode} when it hears nothing, the
     * connector has no beam or the tokenizer no BOS. Other connectors: {@link #encode}. Training uses
     * {@link #connect}, the differentiable path.
     */
    public Tensor hear(AudioClip clip) {
        if (!(connector instanceof dev.auris.fusion.CtcCompress ctc) || ctc.beam() == 0 || text.tokenizer().bosId().isEmpty()) return encode(clip);
        int[] ids;
        try (var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            CtcPrefixScorer scorer = scorer(ctc, clip);
            ids = transcriptionInstruction() == null ? firstPass(ctc, scorer)
                    : asTyped(jointIds(ctc, transcriptionTurn(clip), scorer, jointOptions(scorer.frames())));
        }
        return ids.length == 0 ? encode(clip) : llm.embed(Torch.fromInts(ids)).to(Torch.scalarType(llm.dtype()));
    }

    /** Log-mel [n_mels, frames] or [B, n_mels, frames] → embeddings [B, T', D]. */
    public Tensor encodeMel(Tensor mel) {
        return connect(encoder.encode(mel, selector.needsAllLayers()));
    }

    /** The encoder's output for a clip (what the selector reads); training caches it while the encoder is frozen. */
    public WhisperEncoder.Output encodeAudio(AudioClip clip) {
        return encoder.encode(mel(clip), selector.needsAllLayers());
    }

    /**
     * The encoder's own transcript of a clip, for a model whose connector is {@code ctc-compress}: greedy CTC
     * over the LLM's vocabulary, decoded to text, without the LLM. Other connectors have no transcript.
     */
    public String ctcTranscript(AudioClip clip) {
        if (!(connector instanceof dev.auris.fusion.CtcCompress ctc)) {
            throw new IllegalArgumentException("this model's connector is " + connector.spec().get("type") + ": only a ctc-compress connector has a CTC transcript of its own");
        }
        try (var scope = new org.bytedeco.javacpp.PointerScope()) {
            return text.tokenizer().decode(ctc.decode(selector.select(encodeAudio(clip)).select(0, 0))).strip();
        }
    }

    /** How a transcript is made (see {@link #transcribe}). */
    public enum Decoder {
        /** The LLM's greedy answer to the transcription instruction. */
        LLM,
        /** The encoder's greedy CTC alone (ctc-compress connectors). */
        CTC,
        /** Joint CTC / LLM beam search under the transcription instruction (ctc-compress connectors). */
        JOINT
    }

    /** JOINT for a ctc-compress connector with a beam, else LLM. */
    public Decoder defaultDecoder() {
        return connector instanceof dev.auris.fusion.CtcCompress c && c.beam() > 0 ? Decoder.JOINT : Decoder.LLM;
    }

    /** The text of a clip, by the given decoder, in at most {@code maxTokens} tokens. */
    public String transcribe(AudioClip clip, Decoder decoder, int maxTokens) {
        Turn turn = transcriptionTurn(clip);
        return switch (decoder) {
            case CTC -> ctcTranscript(clip);
            case JOINT -> jointTranscript(turn, jointOptions(maxTokens));
            case LLM -> {
                try (SpeechSession s = newSession()) {
                    yield s.respond(turn, SamplingOptions.greedy(maxTokens), e -> {}).text().strip();
                }
            }
        };
    }

    /**
     * Transcribes a clip by joint CTC / LLM beam search (for a ctc-compress model), in two passes over one
     * encoding of the clip. First the CTC beam search with the LLM as language model after BOS alone
     * ({@link dev.auris.fusion.CtcCompress#hear}) says what the audio holds. Then the speech LLM answers
     * {@code turn} (the clip, heard as that first pass typed, and the transcription instruction), each next
     * token scored by the LLM and by the CTC prefix probability of the encoder's head, so the answer stays
     * with what the audio supports while the LLM reads the whole first pass before it writes a word (see
     * {@link JointCtcDecoder}).
     */
    public String jointTranscript(Turn turn, JointCtcDecoder.Options options) {
        if (!(connector instanceof dev.auris.fusion.CtcCompress ctc)) {
            throw new IllegalArgumentException("this model's connector is " + connector.spec().get("type") + ": joint CTC decoding needs a ctc-compress connector");
        }
        Turn.Speech speech = null;
        for (Turn.Part p : turn.parts()) if (p instanceof Turn.Speech s) { if (speech != null) throw new IllegalArgumentException("joint CTC decoding transcribes one clip per turn"); speech = s; }
        if (speech == null) throw new IllegalArgumentException("joint CTC decoding needs a turn with a speech clip");
        try (var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            return text.tokenizer().decode(jointIds(ctc, turn, scorer(ctc, speech.clip()), options)).strip();
        }
    }

    /** The two passes of {@link #jointTranscript} for the turn's one clip, whose CTC prefix scorer is given: the answer's token ids. */
    private int[] jointIds(dev.auris.fusion.CtcCompress ctc, Turn turn, CtcPrefixScorer scorer, JointCtcDecoder.Options options) {
        List<PromptBuilder.Item> prompt = this.prompt.build(List.of(turn), true);
        if (ctc.beam() > 0 && text.tokenizer().bosId().isPresent()) {
            int[] first = firstPass(ctc, scorer);
            if (first.length == 0) return first;                               // the CTC hears nothing: nothing to transcribe
            prompt = prompt.stream().map(it -> it instanceof PromptBuilder.Slot ? new PromptBuilder.Tokens(first) : it).toList();
        }                                                                      // else the slot holds the soft segments (see hear)
        Set<Integer> ends = new HashSet<>(text.eosIds());
        ends.add(endOfAnswer());
        final List<PromptBuilder.Item> items = prompt;
        try (SpeechSession s = newSession()) {
            return JointCtcDecoder.decode(scorer, h -> {
                List<PromptBuilder.Item> fed = new ArrayList<>(items);
                if (h.length > 0) fed.add(new PromptBuilder.Tokens(h));
                try (var scope = new org.bytedeco.javacpp.PointerScope()) {
                    return Torch.toFloats(s.feed(fed));
                }
            }, ends, options);
        }
    }

    /** The first pass: the CTC beam search with the LLM as language model after BOS, tokenized as typed. */
    private int[] firstPass(dev.auris.fusion.CtcCompress ctc, CtcPrefixScorer scorer) {
        return asTyped(ctc.hear(scorer, llm, new int[]{text.tokenizer().bosId().getAsInt()}));
    }

    /** Token ids as the tokenizer tokenizes their text when typed: CTC may spell a word in other pieces. */
    private int[] asTyped(int[] ids) {
        return text.tokenizer().encode(text.tokenizer().decode(ids).strip());
    }

    /**
     * The CTC prefix scorer of a clip, in a scope of its own: one encoder pass, or one per view when the
     * connector averages over {@code tta_warps} (the mel's bins warped, its frames unchanged).
     */
    private CtcPrefixScorer scorer(dev.auris.fusion.CtcCompress ctc, AudioClip clip) {
        try (var scope = new org.bytedeco.javacpp.PointerScope(); var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            Tensor mel = mel(clip);                                                           // [M, F]
            List<Tensor> views = new ArrayList<>();
            for (double a : ctc.ttaWarps().isEmpty() ? List.of(1.0) : ctc.ttaWarps()) {
                Tensor m = a == 1 ? mel : dev.auris.features.MelWarp.warp(mel, a, 1);         // [M, F]
                views.add(selector.select(encoder.encode(m, selector.needsAllLayers())).select(0, 0)); // [T, De]
            }
            return ctc.scorer(views);
        }
    }

    /** The connector's joint-decoding settings ({@link dev.auris.fusion.CtcCompress#decoding}; its defaults for any other connector). */
    private JointCtcDecoder.Options jointOptions(int maxTokens) {
        return connector instanceof dev.auris.fusion.CtcCompress c ? c.decoding(maxTokens)
                : new JointCtcDecoder.Options(dev.auris.fusion.CtcCompress.BEAM, dev.auris.fusion.CtcCompress.CTC_WEIGHT, 0, maxTokens);
    }

    private String transcriptionInstruction() {
        return spec.prompt() == null ? null : spec.prompt().transcribe();
    }

    /** The user turn that asks for a clip's transcript: the clip, then the model's transcription instruction if it has one. */
    private Turn transcriptionTurn(AudioClip clip) {
        String instruction = transcriptionInstruction();
        return instruction == null ? Turn.user(Turn.speech(clip)) : Turn.user(Turn.speech(clip), Turn.text(instruction));
    }

    /** Selector and connector: encoder output → LLM input embeddings [B, T', D]. */
    public Tensor connect(WhisperEncoder.Output out) {
        Tensor features = selector.select(out);                          // [B, T, De]
        return connector.embed(features, llm).to(Torch.scalarType(llm.dtype())); // [B, T', D]
    }

    /**
     * The token that ends an answer: the chat template's end-of-turn marker when the tokenizer has one
     * ({@code <|eot_id|>}, {@code <|im_end|>}); for a template-less model whose generation config counts BOS
     * as an EOS (llama2.c story models), BOS; else the model's first EOS id.
     */
    public int endOfAnswer() {
        for (String marker : List.of("<|eot_id|>", "<|im_end|>", "<|end|>")) {
            var id = text.tokenizer().tokenId(marker);
            if (id.isPresent() && text.eosIds().contains(id.getAsInt())) return id.getAsInt();
        }
        // llama2.c-style story models (stories260K) never saw </s> in training: a story ends where the next
        // begins, with <s>, which their generation config lists as an EOS. Their </s> row is untrained, and an
        // adapter taught to aim at it lands among the equally untrained byte-fallback rows. End with <s> there.
        var bos = text.tokenizer().bosId();
        if (bos.isPresent() && text.eosIds().contains(bos.getAsInt()) && text.chatTemplate().isEmpty()) return bos.getAsInt();
        if (!llm.config().eosTokenIds().isEmpty()) return llm.config().eosTokenIds().getFirst();
        return text.tokenizer().eosId().orElseThrow(() -> new IllegalStateException("the LLM has no EOS token"));
    }

    /** Logits over the text vocabulary plus, for an augmented vocabulary, the audio tokens. */
    public Tensor logits(Tensor hidden) {
        Tensor textLogits = llm.logits(hidden);
        Tensor extra = connector.extraLogits(hidden);
        return extra == null ? textLogits : torch.cat(new TensorVector(textLogits, extra), -1);
    }

    public SpeechSession newSession() { return new SpeechSession(this); }

    /** Answers each turn in a fresh session (the batch path of `auris transcribe`). */
    public List<String> respondAll(List<Turn> turns, SamplingOptions options) {
        List<String> out = new ArrayList<>();
        for (Turn t : turns) {
            try (SpeechSession s = newSession()) {
                out.add(s.respond(t, options, e -> {}).text());
            }
        }
        return out;
    }

    @Override
    public void close() {
        encoder.close();
        if (llm != text.llm()) llm.close();
        text.close();
        selector.parameters().values().forEach(Tensor::close);
        connector.parameters().values().forEach(Tensor::close);
    }
}
