package dev.auris.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auris.audio.AudioClip;
import dev.auris.core.Torch;
import dev.auris.encoder.WhisperConfig;
import dev.auris.encoder.WhisperEncoder;
import dev.auris.features.LogMel;
import dev.auris.features.MelWarp;
import dev.auris.core.DType;
import dev.auris.io.*;
import dev.auris.nn.Linear;
import dev.auris.prompt.Turn;
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
 * ASR manifests. The result is a Hugging Face Whisper encoder directory ({@code config.json},
 * {@code model.safetensors}) that {@code auris compose} and the recipes use, plus {@code ctc_head.safetensors}.
 *
 * <p>Shapes: B batch, M mels, F frames (100 a second at hop 160, 50 at hop 320), T = F/2 positions, D width, V vocabulary (+1 blank).
 */
public final class EncoderPretrainer {
    /** Encoder shape and training settings. */
    public record Config(int dModel, int layers, int heads, int ffnDim, int nMels, int maxSeconds, int steps, int batchSize, double lr,
                         int warmupSteps, double weightDecay, long seed, double specAugment, boolean bf16, boolean heConvInit, int hopLength, double warp) {}

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

    public static Result run(Config c, Tokenizer vocab, List<Path> train, List<Path> heldOut, Path out, Progress progress) {
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
        List<Example> held = new ArrayList<>();
        for (Path p : heldOut) held.addAll(Manifest.read(p, false).examples());
        if (examples.isEmpty()) throw new IllegalArgumentException("no ASR examples for encoder pretraining");
        try (WhisperEncoder enc = WhisperEncoder.load(wc, withPositions, DType.F32); PointerScope outer = new PointerScope()) {
            Tensor headW = Torch.own(init.tensor("ctc_head.weight", DType.F32, v + 1, c.dModel()));
            Tensor headB = Torch.own(torch.zeros(new long[]{v + 1}, Torch.options(DType.F32)));
            Linear head = new Linear(headW, headB);
            Map<String, Tensor> params = new LinkedHashMap<>(enc.tensors());
            params.remove("embed_positions.weight"); // fixed sinusoids, as Whisper
            params.put("ctc_head.weight", headW);
            params.put("ctc_head.bias", headB);
            params.values().forEach(t -> t.requires_grad_(true));
            TensorVector pv = new TensorVector(params.values().toArray(Tensor[]::new));
            AdamWOptions opts = new AdamWOptions(c.lr());
            opts.weight_decay().put(c.weightDecay());
            AdamW optimizer = new AdamW(pv, opts);
            LogMel mel = wc.features();
            Map<AudioClip, Tensor> mels = new IdentityHashMap<>();
            Map<Example, long[]> targets = new IdentityHashMap<>();
            for (Example e : examples) targets.put(e, ids(vocab, e.answer()));
            List<Example> sorted = new ArrayList<>(examples);
            sorted.sort(Comparator.comparingDouble(Example::audioSeconds));
            StageConfig schedule = new StageConfig("encoder", "sft", List.of("encoder"), null, List.of(new StageConfig.DataSource("-", 1)), null,
                    c.steps(), c.batchSize(), 1, c.lr(), c.warmupSteps(), 0.05, c.weightDecay(), 1.0, 0, 0, 0, c.seed(), 0, 0);
            Metrics metrics = new Metrics(out);
            long t0 = System.nanoTime();
            double first = Double.NaN, last = Double.NaN, audio = 0, window = 0;
            int windowN = 0;
            int bucket = Math.max(c.batchSize() * 8, 32);
            for (int step = 0; step < c.steps(); step++) {
                double lr = schedule.lrAt(step);
                for (int g = 0; g < optimizer.param_groups().size(); g++) optimizer.param_groups().get(g).options().set_lr(lr);
                SplittableRandom r = new SplittableRandom(c.seed() * 1_000_003L + step);
                torch.manual_seed(c.seed() * 7_919L + step);
                int start = r.nextInt(Math.max(1, sorted.size() - bucket + 1));
                List<Example> batch = new ArrayList<>();
                for (int i = 0; i < c.batchSize(); i++) batch.add(sorted.get(Math.min(sorted.size() - 1, start + r.nextInt(bucket))));
                optimizer.zero_grad();
                double lossValue;
                try (PointerScope scope = new PointerScope()) {
                    Tensor loss = ctcLoss(enc, head, mel, mels, batch, targets, v, c.specAugment(), c.warp(), c.bf16(), r);
                    loss.backward();
                    lossValue = Torch.toFloats(loss)[0];
                }
                torch.clip_grad_norm_(pv, 1.0);
                optimizer.step();
                for (Example e : batch) audio += e.audioSeconds();
                if (Double.isNaN(first)) first = lossValue;
                window += lossValue;
                windowN++;
                double elapsed = (System.nanoTime() - t0) / 1e9;
                metrics.write(metrics.row(step + 1, lossValue, lr, 0, 0, audio / elapsed, elapsed));
                if ((step + 1) % 50 == 0 || step == c.steps() - 1) {
                    last = window / windowN;
                    window = 0;
                    windowN = 0;
                }
                progress.step("encoder-ctc", step + 1, c.steps(), step + 1, c.steps(), lossValue, lr, 0, audio / elapsed, Double.NaN);
            }
            progress.done();
            metrics.plot("encoder-ctc");
            params.values().forEach(t -> t.requires_grad_(false));
            double ter = held.isEmpty() ? Double.NaN : tokenErrorRate(enc, head, mel, vocab, held);
            save(enc, wc, head, out);
            double secs = (System.nanoTime() - t0) / 1e9;
            mels.values().forEach(Tensor::close);
            return new Result(first, last, secs, audio / secs, ter);
        }
    }

    static long[] ids(Tokenizer vocab, String text) {
        int[] t = vocab.encode(text);
        long[] l = new long[t.length];
        for (int i = 0; i < t.length; i++) l[i] = t[i];
        return l;
    }

    static AudioClip clip(Example e) {
        for (Turn t : e.prompt()) for (Turn.Part p : t.parts()) if (p instanceof Turn.Speech s) return s.clip();
        throw new IllegalArgumentException("manifest line " + e.line() + " has no audio");
    }

    private static Tensor ctcLoss(WhisperEncoder enc, Linear head, LogMel mel, Map<AudioClip, Tensor> mels, List<Example> batch,
                                  Map<Example, long[]> targets, int blank, double specAugment, double warp, boolean bf16, SplittableRandom r) {
        List<Tensor> ms = new ArrayList<>();
        long maxF = 0;
        for (Example e : batch) {
            AudioClip a = clip(e);
            Tensor m = MelWarp.apply(mels.computeIfAbsent(a, x -> Torch.own(mel.compute(x))), warp, r, enc.config().maxFrames()); // [M, F], F as warped
            ms.add(m);
            maxF = Math.max(maxF, m.size(1));
        }
        maxF += maxF % 2;
        Tensor[] padded = new Tensor[ms.size()];
        long[] inLens = new long[ms.size()], tgtLens = new long[ms.size()];
        List<Long> flat = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            Tensor m = ms.get(i);
            long f = m.size(1);
            Tensor x = m;
            if (specAugment > 0) x = maskSpan(maskSpan(x, 1, r, specAugment), 0, r, specAugment); // time, then frequency
            if (f < maxF) x = torch.cat(new TensorVector(x, torch.full(new long[]{m.size(0), maxF - f}, Torch.scalar(Torch.toFloats(m.min())[0]), Torch.options(DType.F32))), 1);
            padded[i] = x;
            inLens[i] = (f + 1) / 2;
            long[] t = targets.get(batch.get(i));
            tgtLens[i] = t.length;
            for (long id : t) flat.add(id);
        }
        Tensor logits;
        try (var ac = dev.auris.core.Autocast.bf16If(bf16)) {
            Tensor h = enc.encode(torch.stack(new TensorVector(padded), 0), false).lastHidden();  // [B, T, D]
            logits = head.apply(h);                                                              // [B, T, V+1]
        }
        Tensor logp = torch.log_softmax(logits.to(torch.ScalarType.Float), -1).transpose(0, 1); // [T, B, V+1], float32
        Tensor tg = Torch.fromLongs(flat.stream().mapToLong(Long::longValue).toArray(), flat.size());
        return torch.ctc_loss(logp, tg, inLens, tgtLens, blank, 1 /* mean */, true);
    }

    /**
     * SpecAugment-style masking (SpecAugment, Park et al. 2019) of mel [M, F]: one span of up to
     * {@code fraction} of dimension {@code dim} (1: time frames, 0: mel bins) set to the clip's floor.
     */
    private static Tensor maskSpan(Tensor m, int dim, SplittableRandom r, double fraction) {
        long n = m.size(dim);
        int width = (int) (r.nextDouble() * fraction * n);
        if (width < 1) return m;
        int start = r.nextInt((int) Math.max(1, n - width));
        Tensor x = m.clone();
        x.narrow(dim, start, width).fill_(Torch.scalar(Torch.toFloats(m.min())[0]));
        return x;
    }

    static double tokenErrorRate(WhisperEncoder enc, Linear head, LogMel mel, Tokenizer vocab, List<Example> held) {
        long errors = 0, total = 0;
        try (var guard = new NoGradGuard()) {
            for (Example e : held) {
                try (PointerScope scope = new PointerScope()) {
                    Tensor h = enc.encode(mel.compute(clip(e)), false).lastHidden().select(0, 0);
                    int[] hyp = dev.auris.hearing.CtcHearing.greedy(head.apply(h), vocab.vocabSize());
                    int[] ref = vocab.encode(e.answer());
                    errors += dev.auris.train.eval.Wer.editDistance(ref, hyp);
                    total += ref.length;
                }
            }
        }
        return (double) errors / Math.max(1, total);
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
