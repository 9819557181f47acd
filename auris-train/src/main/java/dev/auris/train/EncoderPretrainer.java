package dev.auris.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.core.Torch;
import dev.auris.encoder.WhisperConfig;
import dev.auris.encoder.WhisperEncoder;
import dev.auris.features.LogMel;
import dev.auris.core.DType;
import dev.auris.io.*;
import dev.auris.nn.Linear;
import dev.auris.tokenizer.Tokenizer;
import dev.auris.train.data.Example;
import dev.auris.train.data.Manifest;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.*;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Path;
import java.util.*;

/**
 * Speech-encoder pretraining from scratch with CTC (the survey's "re-pretrain the speech encoder", for
 * when no pretrained Whisper can be had): a randomly initialised Whisper-architecture encoder plus a
 * linear CTC head over the LLM's own token vocabulary (blank = V), trained on (audio, transcript) pairs of
 * ASR manifests with the {@link Ctc} objective in the {@link TrainingLoop}, checkpointed every {@link #SAVE_EVERY} steps so a
 * stopped run resumes (an hour and more on two cores without AMX). The result is a Hugging Face Whisper encoder directory ({@code config.json},
 * {@code model.safetensors}) that {@code auris compose} and the recipes use, plus {@code ctc_head.safetensors}.
 *
 * <p>Shapes: B batch, M mels, F frames (100 a second at hop 160, 50 at hop 320), T = F/2 positions, D width, V vocabulary (+1 blank).
 */
public final class EncoderPretrainer {
    /** Encoder shape and training settings. */
    public record Config(int dModel, int layers, int heads, int ffnDim, int nMels, int maxSeconds, int steps, int batchSize, double lr,
                         int warmupSteps, double weightDecay, long seed, double specAugment, boolean bf16, boolean heConvInit, int hopLength, double warp,
                         dev.auris.train.augment.WaveAugment augment) {}

    public record Result(double firstLoss, double lastLoss, double seconds, double audioSecondsPerSecond, double heldOutTokenErrorRate) {}

    private EncoderPretrainer() {}

    /** Whisper's sinusoidal positions (openai/whisper model.py: sinusoids). */
    static float[] sinusoids(int length, int channels) {
        float[] out = new float[length * channels];
        int half = channels / 2;
        double inc = Math.log(10000) / (half - 1);
        for (int t = 0; t < length; t++) {
            for (int i = 0; i < half; i++) {
                double a = t * Math.exp(-inc * i);
                out[t * channels + i] = (float) Math.sin(a);
                out[t * channels + half + i] = (float) Math.cos(a);
            }
        }
        return out;
    }

    /** Steps between the pretraining's checkpoints (trainable tensors and AdamW state, the last one kept): a run stopped part-way resumes. */
    static final int SAVE_EVERY = 500;

    public static Result run(Config c, Tokenizer vocab, List<Path> train, List<Path> heldOut, Path out, Progress progress) {
        return run(c, vocab, train, heldOut, out, progress, false);
    }

    /**
     * Pretrains into {@code out}; with {@code resume}, from the last checkpoint there (every {@link #SAVE_EVERY} steps),
     * bit-identical to an uninterrupted run (draws and augmentation are functions of the seed and step).
     */
    public static Result run(Config c, Tokenizer vocab, List<Path> train, List<Path> heldOut, Path out, Progress progress, boolean resume) {
        Torch.init();
        int positions = c.maxSeconds() * LogMel.SAMPLE_RATE / c.hopLength() / 2;  // conv2 halves the frames
        WhisperConfig wc = new WhisperConfig(c.dModel(), c.layers(), c.heads(), c.ffnDim(), c.nMels(), positions, "gelu", c.hopLength());
        WeightSource init = WeightSource.random(c.seed(), 0.02);
        WeightSource withPositions = new WeightSource() {
            @Override
            public Tensor tensor(String name, DType dtype, long... shape) {
                if (name.endsWith("embed_positions.weight")) return Torch.fromFloats(sinusoids((int) shape[0], (int) shape[1]), shape);
                if (c.heConvInit() && name.endsWith(".weight") && shape.length == 3) {
                    // conv stem [D, C, 3], followed by GELU: He init, std sqrt(2 / fan_in), so at the start the audio
                    // content reaches the residual stream at about the sinusoids' scale instead of ~10x under it
                    double std = Math.sqrt(2.0 / (shape[1] * shape[2]));
                    return torch.randn(shape, Torch.options(DType.F32)).mul_(Torch.scalar(std));
                }
                return init.tensor(name, dtype, shape);
            }

            @Override
            public boolean contains(String name) { return name.startsWith("model.encoder."); }
        };
        int v = vocab.vocabSize();
        List<Example> examples = new ArrayList<>();
        for (Path p : train) examples.addAll(Manifest.read(p, false).examples());
        Map<String, List<Example>> held = new LinkedHashMap<>();                // by name: its directory and file, e.g. heldout/asr.jsonl
        for (Path p : heldOut) {
            Path parent = p.toAbsolutePath().getParent();
            String name = parent == null || parent.getFileName() == null ? p.getFileName().toString() : parent.getFileName() + "/" + p.getFileName();
            held.computeIfAbsent(name, k -> new ArrayList<>()).addAll(Manifest.read(p, false).examples());
        }
        if (examples.isEmpty()) throw new IllegalArgumentException("no ASR examples for encoder pretraining");
        try (WhisperEncoder enc = WhisperEncoder.load(wc, withPositions, DType.F32); PointerScope outer = new PointerScope()) {
            Tensor headW = Torch.own(init.tensor("ctc_head.weight", DType.F32, v + 1, c.dModel()));
            Tensor headB = Torch.own(torch.zeros(new long[]{v + 1}, Torch.options(DType.F32)));
            Linear head = new Linear(headW, headB);
            Map<String, Tensor> params = new LinkedHashMap<>(enc.tensors());
            params.remove("embed_positions.weight"); // fixed sinusoids, as Whisper
            params.put("ctc_head.weight", headW);
            params.put("ctc_head.bias", headB);
            // the loop's settings: warm-up then cosine to 5 %, clipping at 1, one micro-batch a step, a checkpoint every SAVE_EVERY steps
            // (the last kept), the loss logged every 50 steps, the held-out sets measured every fifth of the run (evalEvery 0) and at
            // its end (its objective, components and data are not read: the loop trains the Ctc objective's own parameters on its own draws)
            StageConfig schedule = new StageConfig("encoder-ctc", "sft", List.of("encoder"), null, List.of(new StageConfig.DataSource("-", 1)), null,
                    c.steps(), c.batchSize(), 1, c.lr(), c.warmupSteps(), 0.05, c.weightDecay(), 1.0, 0, SAVE_EVERY, 1, c.seed(), 0, 50);
            try (Ctc ctc = new Ctc(enc, head, params, vocab, examples, c.batchSize(), c.seed(), new Ctc.Augment(c.augment(), c.warp(), c.specAugment(), c.bf16()),
                    held, progress)) {
                long t0 = System.nanoTime();
                TrainingResult r = new TrainingLoop(schedule, out, progress, new TrainingLoop.Options(true, false)).run(ctc, resume);
                double ter = ctc.heldOutTokenErrorRate();                              // at the last step's validation
                save(enc, wc, head, out);
                try {
                    Checkpoints.deleteTree(out.resolve("checkpoints"));             // the encoder is saved: its resume points are spent
                } catch (java.io.IOException e) {
                    progress.message("could not remove the encoder's checkpoints: " + e.getMessage());
                }
                double secs = (System.nanoTime() - t0) / 1e9, audio = r.audioSecondsPerSecond() * r.seconds(); // seconds of audio trained on
                return new Result(r.firstLoss(), r.trainLoss(), secs, audio / secs, ter);
            }
        }
    }

    static void save(WhisperEncoder enc, WhisperConfig wc, Linear head, Path out) {
        Map<String, SafeTensorsWriter.Entry> w = new LinkedHashMap<>();
        enc.tensors().forEach((n, t) -> w.put("model.encoder." + n, new SafeTensorsWriter.Entry(DType.F32, Torch.shape(t), Torch.toBytes(t.contiguous()))));
        SafeTensorsWriter.write(out.resolve("model.safetensors"), w, Map.of("format", "pt"));
        SafeTensorsWriter.write(out.resolve("ctc_head.safetensors"), Map.of(
                "weight", new SafeTensorsWriter.Entry(DType.F32, Torch.shape(head.weight()), Torch.toBytes(head.weight())),
                "bias", new SafeTensorsWriter.Entry(DType.F32, Torch.shape(head.bias()), Torch.toBytes(head.bias()))), Map.of("format", "pt"));
        ObjectNode cfg = new ObjectMapper().createObjectNode();
        cfg.putArray("architectures").add("WhisperModel");
        cfg.put("model_type", "whisper").put("d_model", wc.dModel()).put("encoder_layers", wc.layers()).put("encoder_attention_heads", wc.heads())
                .put("encoder_ffn_dim", wc.ffnDim()).put("num_mel_bins", wc.numMelBins()).put("max_source_positions", wc.maxSourcePositions())
                .put("activation_function", "gelu").put("_note", "encoder-only, pretrained by Auris with CTC over the LLM vocabulary; ctc_head.safetensors is its CTC head (blank = last class)");
        AtomicFiles.writeString(out.resolve("config.json"), cfg.toPrettyString());
        // the front end as a Hugging Face WhisperFeatureExtractor describes it, so the hop travels with the weights
        ObjectNode pre = new ObjectMapper().createObjectNode();
        pre.put("feature_extractor_type", "WhisperFeatureExtractor").put("feature_size", wc.numMelBins()).put("sampling_rate", LogMel.SAMPLE_RATE)
                .put("n_fft", LogMel.N_FFT).put("hop_length", wc.hopLength()).put("chunk_length", LogMel.CHUNK_SECONDS)
                .put("n_samples", LogMel.N_SAMPLES).put("nb_max_frames", LogMel.N_SAMPLES / wc.hopLength()).put("padding_value", 0.0)
                .put("padding_side", "right").put("return_attention_mask", false);
        AtomicFiles.writeString(out.resolve(WhisperConfig.PREPROCESSOR_CONFIG), pre.toPrettyString());
    }
}
