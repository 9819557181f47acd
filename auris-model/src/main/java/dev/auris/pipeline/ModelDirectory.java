package dev.auris.pipeline;

import dev.auris.prompt.PromptSpec;
import dev.auris.encoder.WhisperEncoder;
import dev.auris.fusion.Connector;
import dev.auris.fusion.ConnectorSpec;
import dev.auris.fusion.SelectorSpec;
import dev.auris.fusion.FeatureSelector;
import dev.auris.fusion.Fusion;
import dev.auris.hearing.Decoding;
import dev.auris.io.Checkpoint;
import dev.auris.io.CheckpointException;
import dev.auris.core.DType;
import dev.auris.io.SafeTensorsWriter;
import dev.auris.io.WeightSource;
import dev.auris.llm.Llm;
import dev.auris.llm.LoraSpec;
import dev.auris.llm.TextModel;
import dev.auris.nn.Params;
import dev.auris.speech.SpeechHead;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.*;
import java.util.function.Supplier;
import dev.auris.tokenizer.Tokenizer;

/**
 * A speech LLM directory on disk: {@code auris.json} ({@link SpeechModelSpec}), the trained fusion weights,
 * LoRA adapters, and the encoder and LLM directories it points at. Loads a {@link SpeechLlm}, composes a new
 * one, saves one. Base checkpoints are referenced by relative path; writes are atomic per file.
 */
public final class ModelDirectory {
    private ModelDirectory() {}

    /**
     * Loads the model; when it has no LoRA adapters yet and {@code newLora} is given, fresh adapters
     * (B = 0, so outputs are unchanged) are attached for training. Every tensor of the fusion weights must
     * be one the selector or connector uses.
     */
    public static SpeechLlm load(Path dir, DType dtype, LoraSpec newLora, long seed) {
        return load(dir, dtype, newLora, seed, ReleasedLayout.Overrides.NONE);
    }

    /**
     * As {@link #load(Path, DType, LoraSpec, long)}; a directory without auris.json whose config.json is a
     * {@link ReleasedLayout} (LLaMA-Omni, Ultravox) loads as the auris.json it amounts to, {@code overrides} supplying
     * the parts it only names.
     */
    public static SpeechLlm load(Path dir, DType dtype, LoraSpec newLora, long seed, ReleasedLayout.Overrides overrides) {
        if (!Files.isRegularFile(dir.resolve("auris.json"))) {
            var released = ReleasedLayout.detect(dir);
            if (released.isPresent()) return loadReleased(dir, released.get().translate(dir, overrides), dtype, newLora, seed);
        }
        SpeechModelSpec spec = SpeechModelSpec.read(dir);
        if (spec.weights() == null) throw new CheckpointException(dir.resolve("auris.json") + ": missing weights (the safetensors file of the trained parts)");
        try (Checkpoint fusion = Checkpoint.of(dir, List.of(dir.resolve(spec.weights())))) {
            SpeechLlm m = build(dir, spec, fusion, dtype, newLora, seed);
            Set<String> used = m.trainedTensors().keySet();
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

    /** A released layout's translation: its fusion weights (and any embedded encoder / LLM) read in place under Auris's names. */
    private static SpeechLlm loadReleased(Path dir, ReleasedLayout.Translation t, DType dtype, LoraSpec newLora, long seed) {
        try (Checkpoint ckpt = Checkpoint.open(t.fusionDir())) {
            ReleasedLayout.Embedded e = t.embedded();
            Supplier<WhisperEncoder> encoder = e.audio() == null ? null
                    : () -> WhisperEncoder.load(e.audio(), renamed(ckpt, n -> n.startsWith("encoder.") ? e.audioPrefix() + n.substring("encoder.".length()) : n), dtype);
            Supplier<TextModel> text = e.text() == null ? null : () -> {
                Llm llm = Llm.load(e.text(), renamed(ckpt, n -> e.textPrefix() + n), dtype);
                try {
                    Tokenizer tok = Tokenizer.load(t.promptDir());
                    Set<Integer> eos = new LinkedHashSet<>(e.text().eosTokenIds());
                    tok.eosId().ifPresent(eos::add);
                    return new TextModel(llm, tok, Set.copyOf(eos));
                } catch (RuntimeException x) {
                    llm.close();
                    throw x;
                }
            };
            return build(dir, t.spec(), encoder, text, renamed(ckpt, t.fusionName()), dtype, newLora, seed, t.promptDir());
        }
    }

    /** {@code ckpt} seen under other names: {@code name} → the checkpoint's. */
    private static WeightSource renamed(Checkpoint ckpt, java.util.function.UnaryOperator<String> name) {
        return new WeightSource() {
            @Override
            public Tensor tensor(String n, DType d, long... shape) { return ckpt.tensor(name.apply(n), d, shape); }

            @Override
            public boolean contains(String n) { return ckpt.contains(name.apply(n)); }
        };
    }

    private static SpeechLlm build(Path dir, SpeechModelSpec spec, WeightSource weights, DType dtype, LoraSpec newLora, long seed) {
        return build(dir, spec, null, null, weights, dtype, newLora, seed, null);
    }

    /**
     * {@code encoder} / {@code llm}: how to load them when not from the spec's paths (null: from the paths);
     * {@code promptDir}: where the tokenizer and chat template come from when not the LLM's directory.
     */
    private static SpeechLlm build(Path dir, SpeechModelSpec spec, Supplier<WhisperEncoder> encoder, Supplier<TextModel> llmModel, WeightSource weights,
                                   DType dtype, LoraSpec newLora, long seed, Path promptDir) {
        WhisperEncoder enc = encoder != null ? encoder.get() : WhisperEncoder.load(dir.resolve(spec.encoder().path()), dtype);
        TextModel text = null;
        try {
            if (llmModel != null) {
                text = llmModel.get();
            } else {
                text = TextModel.load(dir.resolve(spec.llm().path()), dtype);
                if (promptDir != null) text = text.withTokenizer(promptDir);
            }
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
                Path f = dir.resolve(spec.lora().weights());
                try (Checkpoint c = Checkpoint.of(dir, List.of(f))) {
                    llm = llm.withLora(spec.lora().spec(), c, dtype);
                }
            } else if (newLora != null) {
                llm = llm.withLora(newLora, LoraSpec.init(seed), dtype);
            }
            SpeechHead speech = spec.speech() == null ? null : speechHead(dir, spec.speech(), d, dtype);
            return new SpeechLlm(dir, spec, enc, sel, con, text, llm, speech, promptDir == null ? dir.resolve(spec.llm().path()) : promptDir);
        } catch (RuntimeException e) {
            enc.close();
            if (text != null) text.close();
            throw e;
        }
    }

    /** The voice auris.json's {@code speech} section describes, for an LLM of width {@code d}. */
    private static SpeechHead speechHead(Path dir, SpeechModelSpec.Speech s, int d, DType dtype) {
        try {
            return SpeechHead.load(dir.resolve(s.decoder()), dir.resolve(s.vocoder()), s.omega(), d, dtype);
        } catch (CheckpointException e) {
            if (Files.isRegularFile(dir.resolve("auris.json"))) throw new CheckpointException(dir.resolve("auris.json") + ": speech: " + e.getMessage(), e);
            throw new CheckpointException(dir + ": its voice (vocoder " + dir.resolve(s.vocoder()) + "): " + e.getMessage()
                    + " (--vocoder DIR names another vocoder; without a readable one beside it the model answers in text only)", e);
        }
    }

    /**
     * Creates a new, untrained speech LLM directory {@code out}: auris.json pointing at the encoder and LLM
     * directories (relative paths) and randomly initialised selector/connector weights. Decoding settings a
     * recipe writes into the connector section (beam, ctc_weight, length_bonus, tta_warps) go to {@code decoding}.
     */
    public static SpeechLlm compose(Path out, Path encoderDir, Path llmDir, Map<String, Object> selector, Map<String, Object> connector,
                                    PromptSpec prompt, boolean pad30s, long seed, DType dtype) {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path base = out.toAbsolutePath().normalize();
        Map.Entry<Decoding, Map<String, Object>> split;
        try {
            split = Decoding.split(connector);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException("connector " + connector + ": " + e.getMessage(), e);
        }
        boolean ctc = "ctc-compress".equals(String.valueOf(connector.get("type")));
        SpeechModelSpec spec = new SpeechModelSpec(SpeechModelSpec.FORMAT,
                new SpeechModelSpec.EncoderRef(base.relativize(encoderDir.toAbsolutePath().normalize()).toString(), pad30s),
                new SpeechModelSpec.LlmRef(base.relativize(llmDir.toAbsolutePath().normalize()).toString()),
                SelectorSpec.of(selector), ConnectorSpec.of(split.getValue()), split.getKey() != null ? split.getKey() : ctc ? Decoding.DEFAULT : null,
                prompt, "fusion.safetensors", null);
        WeightSource random = WeightSource.random(seed, 0.02);
        Path ctcHead = encoderDir.resolve("ctc_head.safetensors");
        if (ctc && Files.isRegularFile(ctcHead)) {
            try (Checkpoint head = Checkpoint.of(encoderDir, List.of(ctcHead))) {
                return buildAndSave(out, spec, fromEncoderCtcHead(random, head), dtype);
            }
        }
        return buildAndSave(out, spec, random, dtype);
    }

    private static SpeechLlm buildAndSave(Path out, SpeechModelSpec spec, WeightSource init, DType dtype) {
        SpeechLlm m = build(out, spec, init, dtype, null, 0);
        save(m, out, false, false);
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

    private static Map<String, SafeTensorsWriter.Entry> entries(Map<String, Tensor> tensors) {
        Map<String, SafeTensorsWriter.Entry> entries = new LinkedHashMap<>();
        tensors.forEach((n, t) -> entries.put(n, SafeTensorsWriter.Entry.of(t)));
        return entries;
    }

    /**
     * Writes auris.json, the selector/connector weights and the LoRA adapters (in their current dtype) to
     * {@code out}; the base encoder and LLM are referenced by relative path. With {@code withLlm} /
     * {@code withEncoder} (after full fine-tuning) the LLM / encoder weights are written too, as Hugging Face
     * directories {@code out/llm} and {@code out/encoder} (the other files of the base directories are
     * copied), and auris.json points at them.
     */
    public static void save(SpeechLlm m, Path out, boolean withLlm, boolean withEncoder) {
        SpeechModelSpec spec = m.spec();
        Path llmDir = m.dir().resolve(spec.llm().path()), encDir = m.dir().resolve(spec.encoder().path());
        if (withLlm) {
            copyDir(llmDir, out.resolve("llm"));
            SafeTensorsWriter.write(out.resolve("llm/model.safetensors"), entries(new LinkedHashMap<>(m.text().llm().baseTensors())), Map.of("format", "pt"));
            llmDir = out.resolve("llm");
        }
        if (withEncoder) {
            copyDir(encDir, out.resolve("encoder"));
            Map<String, Tensor> w = new LinkedHashMap<>();
            m.encoder().tensors().forEach((n, t) -> w.put("model.encoder." + n, t));
            SafeTensorsWriter.write(out.resolve("encoder/model.safetensors"), entries(w), Map.of("format", "pt"));
            encDir = out.resolve("encoder");
        }
        String weights = spec.weights() == null ? "fusion.safetensors" : spec.weights();
        SafeTensorsWriter.write(out.resolve(weights), entries(m.trainedTensors()), Map.of("format", "pt", "auris", SpeechModelSpec.FORMAT));
        SpeechModelSpec.Adapters lora = m.lora().map(SpeechModelSpec.Adapters::of).orElse(null);
        if (lora != null) SafeTensorsWriter.write(out.resolve("lora.safetensors"), entries(m.llm().loraTensors()), Map.of("format", "pt"));
        Path base = out.toAbsolutePath().normalize();
        new SpeechModelSpec(spec.format(),
                new SpeechModelSpec.EncoderRef(base.relativize(encDir.toAbsolutePath().normalize()).toString(), spec.encoder().pad30s()),
                new SpeechModelSpec.LlmRef(base.relativize(llmDir.toAbsolutePath().normalize()).toString()),
                m.selector().spec(), m.connector().spec(), spec.decoding(), spec.prompt(), weights, lora, speech(spec.speech(), m.dir(), base)).write(out);
    }

    /** The speech section with its directories relative to {@code out} (the voice is referenced, not copied). */
    private static SpeechModelSpec.Speech speech(SpeechModelSpec.Speech s, Path from, Path out) {
        if (s == null) return null;
        java.util.function.Function<String, String> rel = p -> p == null ? null : out.relativize(from.resolve(p).toAbsolutePath().normalize()).toString();
        return new SpeechModelSpec.Speech(rel.apply(s.decoder()), rel.apply(s.vocoder()), rel.apply(s.units()), s.omega());
    }

    /** Copies the files of a model directory except its weights (config, tokenizer, ...). */
    private static void copyDir(Path from, Path to) {
        try {
            Files.createDirectories(to);
            try (var s = Files.list(from)) {
                for (Path p : s.toList()) {
                    String n = p.getFileName().toString();
                    if (Files.isRegularFile(p) && !n.endsWith(".safetensors") && !n.equals("model.safetensors.index.json")) {
                        Files.copy(p, to.resolve(n), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }
}
