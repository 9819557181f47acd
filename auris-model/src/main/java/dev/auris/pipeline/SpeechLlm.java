package dev.auris.pipeline;

import dev.auris.prompt.PromptSpec;
import dev.auris.prompt.PromptBuilder;
import dev.auris.prompt.Turn;
import dev.auris.audio.AudioClip;
import dev.auris.core.Torch;
import dev.auris.encoder.WhisperEncoder;
import dev.auris.features.LogMel;
import dev.auris.fusion.Connector;
import dev.auris.fusion.CtcCompress;
import dev.auris.fusion.FeatureSelector;
import dev.auris.hearing.Decoding;
import dev.auris.core.DType;
import dev.auris.llm.Llm;
import dev.auris.llm.LoraSpec;
import dev.auris.llm.TextModel;
import dev.auris.nn.Linear;
import dev.auris.prompt.ChatTemplate;
import dev.auris.sample.SamplingOptions;
import dev.auris.speech.SpeechHead;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Path;
import java.util.*;

/**
 * A speech LLM at run time: Whisper encoder → feature selector → connector → LLM (survey §4), as its
 * directory ({@link ModelDirectory}) describes it. Immutable and thread-safe (inference never writes the
 * weights); conversations live in {@link SpeechSession}s, transcripts come from a {@link Transcriber}.
 *
 * <p>{@code try (SpeechLlm m = SpeechLlm.load(dir, DType.F32); SpeechSession s = m.newSession()) {
 * s.respond(Turn.user(Turn.speech(clip)), options, event -> ...); }}
 *
 * <p>Shapes: M mel bins, F frames, B batch, T encoder positions, De encoder width, T' LLM positions, D LLM width.
 */
public final class SpeechLlm implements AutoCloseable {
    private final Path dir;
    private final SpeechModelSpec spec;
    private final WhisperEncoder encoder;
    private final FeatureSelector selector;
    private final Connector connector;
    private final TextModel text;  // the base LLM, tokenizer
    private final Llm llm;         // the base LLM, or a LoRA view of it
    private final Optional<ChatTemplate> template;
    private final PromptBuilder prompt;
    private final Hearing hearing;
    private final Optional<SpeechHead> speech;  // the voice, when auris.json has a speech section

    /** {@code promptDir}: the directory whose chat template the prompt uses (the LLM's, or a release's own). */
    SpeechLlm(Path dir, SpeechModelSpec spec, WhisperEncoder encoder, FeatureSelector selector, Connector connector, TextModel text, Llm llm,
              SpeechHead speech, Path promptDir) {
        this.dir = dir;
        this.speech = Optional.ofNullable(speech);
        this.spec = spec;
        this.encoder = encoder;
        this.selector = selector;
        this.connector = connector;
        this.text = text;
        this.llm = llm;
        this.template = ChatTemplate.load(promptDir, text.tokenizer());
        this.prompt = new PromptBuilder(spec.prompt() != null && spec.prompt().template() != null
                ? new ChatTemplate(spec.prompt().template(), "", "") : template.orElse(null),
                text.tokenizer(), spec.prompt() == null ? new PromptSpec(null, null, null, false) : spec.prompt());
        this.hearing = Hearing.choose(this);
    }

    /** Loads a model directory ({@link ModelDirectory#load}). */
    public static SpeechLlm load(Path dir, DType dtype) {
        return ModelDirectory.load(dir, dtype, null, 0);
    }

    /**
     * Loads a model directory or a released one ({@link ReleasedLayout}: LLaMA-Omni's, Ultravox's), {@code overrides}
     * giving the parts a release only names (its Whisper encoder, its text model, LLaMA-Omni's vocoder).
     */
    public static SpeechLlm load(Path dir, DType dtype, ReleasedLayout.Overrides overrides) {
        return ModelDirectory.load(dir, dtype, null, 0, overrides);
    }

    /** As {@link #load(Path, DType, ReleasedLayout.Overrides)}, in what {@code precision} picks per component on this CPU. */
    public static SpeechLlm load(Path dir, dev.auris.core.Precision precision, ReleasedLayout.Overrides overrides) {
        return ModelDirectory.load(dir, precision, null, 0, overrides);
    }

    /** Loads a model directory in what {@code precision} picks per component on this CPU ({@link ModelDirectory#load}). */
    public static SpeechLlm load(Path dir, dev.auris.core.Precision precision) {
        return ModelDirectory.load(dir, precision, null, 0, ReleasedLayout.Overrides.NONE);
    }

    /** Loads a model directory, with fresh LoRA adapters for training when it has none ({@link ModelDirectory#load}). */
    public static SpeechLlm load(Path dir, DType dtype, LoraSpec newLora, long seed) {
        return ModelDirectory.load(dir, dtype, newLora, seed);
    }

    /** A new, untrained model directory ({@link ModelDirectory#compose}). */
    public static SpeechLlm compose(Path out, Path encoderDir, Path llmDir, Map<String, Object> selector, Map<String, Object> connector,
                                    PromptSpec prompt, boolean pad30s, long seed, DType dtype) {
        return ModelDirectory.compose(out, encoderDir, llmDir, selector, connector, prompt, pad30s, seed, dtype);
    }

    /** Saves this model to a directory ({@link ModelDirectory#save}). */
    public void save(Path out) {
        ModelDirectory.save(this, out, false, false);
    }

    /** Saves this model, with the LLM's / encoder's own weights after full fine-tuning ({@link ModelDirectory#save}). */
    public void save(Path out, boolean withLlm, boolean withEncoder) {
        ModelDirectory.save(this, out, withLlm, withEncoder);
    }

    /** The LoRA spec of the attached adapters, if any. */
    public Optional<LoraSpec> lora() {
        if (llm.layers().isEmpty()) return Optional.empty();
        var l = llm.layers().getFirst();
        String[] names = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
        List<Linear> lins = List.of(l.qProj(), l.kProj(), l.vProj(), l.oProj(), l.gateProj(), l.upProj(), l.downProj());
        List<String> targets = new ArrayList<>();
        Linear first = null;
        for (int i = 0; i < names.length; i++) {
            if (lins.get(i).lora() == null) continue;
            targets.add(names[i]);
            if (first == null) first = lins.get(i);
        }
        if (first == null) return Optional.empty();
        return Optional.of(new LoraSpec(first.lora().rank(), first.lora().scale() * first.lora().rank(), first.lora().dropout(), targets));
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

    /** The connector when it is ctc-compress (the CTC head the hearing and the CTC transcripts use). */
    public Optional<CtcCompress> ctc() {
        return connector instanceof CtcCompress c ? Optional.of(c) : Optional.empty();
    }

    /** auris.json's decoding settings (the defaults when it has none). */
    public Decoding decoding() { return spec.decoding() == null ? Decoding.DEFAULT : spec.decoding(); }

    /** How a conversation hears a clip (chosen at load). */
    public Hearing hearing() { return hearing; }

    /** The LLM as the model runs it (with LoRA adapters when it has them). */
    public Llm llm() { return llm; }

    public TextModel text() { return text; }

    /** The LLM directory's chat template, if its tokenizer config has one. */
    public Optional<ChatTemplate> chatTemplate() { return template; }

    public PromptBuilder prompt() { return prompt; }

    /** Log-mel of a 16 kHz clip as this model's encoder takes it ([M, F]). */
    public Tensor mel(AudioClip clip) {
        double window = spec.encoder().pad30s() ? LogMel.CHUNK_SECONDS : encoder.config().maxSeconds();
        if (clip.seconds() > window + 1) { // before resampling: a 10-hour clip at 8 kHz would become 2.3 GB of 16 kHz floats first
            throw new IllegalArgumentException("clip of " + String.format(Locale.ROOT, "%.1f", clip.seconds()) + " s is longer than the encoder's "
                    + String.format(Locale.ROOT, "%.0f", window) + " s window: split it");
        }
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

    /** Log-mel [M, F] or [B, M, F] → embeddings [B, T', D]. */
    public Tensor encodeMel(Tensor mel) {
        return connect(encoder.encode(mel, selector.needsAllLayers()));
    }

    /** The encoder's output for a clip (what the selector reads); training caches it while the encoder is frozen. */
    public WhisperEncoder.Output encodeAudio(AudioClip clip) {
        return encoder.encode(mel(clip), selector.needsAllLayers());
    }

    /** Selector and connector: encoder output → LLM input embeddings [B, T', D]. */
    public Tensor connect(WhisperEncoder.Output out) {
        Tensor features = selector.select(out);                                   // [B, T, De]
        return connector.embed(features, llm.embedTokens()).to(Torch.scalarType(llm.dtype())); // [B, T', D]
    }

    /** A clip as {@code how} hears it, in the caller's scope (see {@link Hearing}). */
    Hearing.Heard hear(AudioClip clip, Hearing how) {
        return switch (how) {
            case Hearing.Soft s -> new Hearing.Embeddings(encode(clip));
            case Hearing.Transcript t -> {
                int[] ids = new JointTranscriber(this, t.ctc(), t.decoding()).heard(clip);
                yield ids.length == 0 ? new Hearing.Embeddings(encode(clip)) : new Hearing.Tokens(ids);
            }
        };
    }

    /** The user turn that asks for a clip's transcript: the clip, then the model's transcription instruction if it has one. */
    Turn transcriptionTurn(AudioClip clip) {
        String instruction = spec.prompt() == null ? null : spec.prompt().transcribe();
        return instruction == null ? Turn.user(Turn.speech(clip)) : Turn.user(Turn.speech(clip), Turn.text(instruction));
    }

    /** Whether the model has an instruction that asks for a transcript. */
    boolean hasTranscriptionInstruction() {
        return spec.prompt() != null && spec.prompt().transcribe() != null;
    }

    /** The transcriber of the given kind ({@link Transcriber#of}). */
    public Transcriber transcriber(Transcriber.Kind kind) {
        return Transcriber.of(this, kind);
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
        if (bos.isPresent() && text.eosIds().contains(bos.getAsInt()) && template.isEmpty()) return bos.getAsInt();
        if (!llm.config().eosTokenIds().isEmpty()) return llm.config().eosTokenIds().getFirst();
        return text.tokenizer().eosId().orElseThrow(() -> new IllegalStateException("the LLM has no EOS token"));
    }

    /** Logits over the text vocabulary plus, for an augmented vocabulary, the audio tokens. */
    public Tensor logits(Tensor hidden) {
        Tensor textLogits = llm.logits(hidden);
        Tensor extra = connector.extraLogits(hidden);
        return extra == null ? textLogits : torch.cat(new TensorVector(textLogits, extra), -1);
    }

    /** A conversation that hears clips as this model does ({@link #hearing()}). */
    public SpeechSession newSession() { return new SpeechSession(this, hearing, null); }

    /**
     * A session of a conversation that lives longer than one session (a server's, which opens one per
     * response): its clips are recalled from {@code memory} when heard before or {@link HeardClips#hearAhead ahead}, and
     * what it hears is remembered there.
     */
    public SpeechSession newSession(HeardClips memory) { return new SpeechSession(this, hearing, memory); }

    /** A conversation that hears clips as {@code how} says (the joint transcriber's second pass reads soft segments). */
    SpeechSession newSession(Hearing how) { return new SpeechSession(this, how, null); }

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

    /** What makes the model speak its answers ({@link SpeechSession#respond(Turn, SamplingOptions, SpeechHead, java.util.function.Consumer)}), if it has a voice. */
    public Optional<SpeechHead> speech() { return speech; }

    @Override
    public void close() {
        speech.ifPresent(SpeechHead::close);
        encoder.close();
        if (llm != text.llm()) llm.close();
        text.close();
        selector.parameters().values().forEach(Tensor::close);
        connector.parameters().values().forEach(Tensor::close);
    }
}
