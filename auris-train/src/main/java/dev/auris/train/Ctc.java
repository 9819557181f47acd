package dev.auris.train;

import dev.auris.audio.AudioClip;
import dev.auris.core.Torch;
import dev.auris.encoder.WhisperEncoder;
import dev.auris.features.LogMel;
import dev.auris.features.MelWarp;
import dev.auris.features.SpecAugment;
import dev.auris.core.DType;
import dev.auris.nn.Linear;
import dev.auris.prompt.Turn;
import dev.auris.tokenizer.Tokenizer;
import dev.auris.train.augment.WaveAugment;
import dev.auris.train.data.Example;
import dev.auris.train.eval.Wer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.*;

/**
 * CTC (Graves et al. 2006) of a speech encoder and a linear head over a token vocabulary (blank = V) on
 * (audio, transcript) pairs: the encoder pretraining of {@link EncoderPretrainer}. Batches come from a
 * window of similar-length clips; each draw of a clip is augmented ({@link WaveAugment}: a clip left clean has
 * its log-mel cached), then warped and SpecAugment-masked, all with the draw's own random stream.
 *
 * <p>Shapes: B batch, M mels, F frames, T = F/2 positions, D width, V vocabulary (+1 blank).
 */
final class Ctc implements Objective {
    /** What the loss adds: waveform augmentation (null: none), mel/time warping, SpecAugment's span fraction, bf16 autocast. */
    record Augment(WaveAugment wave, double warp, double specAugment, boolean bf16) {}

    private final WhisperEncoder enc;
    private final Linear head;
    private final Map<String, Tensor> parameters;
    private final Tokenizer vocab;
    private final Augment augment;
    private final int batchSize;
    private final long seed;
    private final LogMel mel;
    private final Map<AudioClip, Tensor> mels = new IdentityHashMap<>();
    private final Map<Example, long[]> targets = new IdentityHashMap<>();
    private final List<Example> sorted;
    private final int bucket;
    private final Map<String, List<Example>> heldOut;
    private final Progress progress;
    private double heldOutTokenErrorRate = Double.NaN;
    private int lastStep = -1;

    /**
     * {@code heldOut}: validation sets by name (empty: none), each measured by {@link #validate()} and reported to
     * {@code progress} as the training goes, so a run shows its held-out curve.
     */
    Ctc(WhisperEncoder enc, Linear head, Map<String, Tensor> parameters, Tokenizer vocab, List<Example> examples, int batchSize, long seed, Augment augment,
        Map<String, List<Example>> heldOut, Progress progress) {
        this.enc = enc;
        this.head = head;
        this.parameters = parameters;
        this.vocab = vocab;
        this.augment = augment;
        this.batchSize = batchSize;
        this.seed = seed;
        this.mel = enc.config().features();
        for (Example e : examples) targets.put(e, ids(vocab, e.answer()));
        sorted = new ArrayList<>(examples);
        sorted.sort(Comparator.comparingDouble(Example::audioSeconds));
        bucket = Math.max(batchSize * 8, 32);
        this.heldOut = new LinkedHashMap<>(heldOut);
        this.progress = progress;
    }

    @Override
    public Map<String, Tensor> parameters() { return parameters; }

    /** A window of {@code bucket} clips by length at a random start, the batch from it (one micro-batch a step). */
    @Override
    public Draw draw(int step, int micro) {
        lastStep = step;
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + step);
        int start = r.nextInt(Math.max(1, sorted.size() - bucket + 1));
        List<Example> batch = new ArrayList<>();
        for (int i = 0; i < batchSize; i++) batch.add(sorted.get(Math.min(sorted.size() - 1, start + r.nextInt(bucket))));
        return new Draw(batch, seed * 7_919L + step, r);
    }

    /** Mean CTC loss over the slice (each clip's loss divided by its target length, as torch's "mean"). */
    @Override
    public Loss loss(Draw draw, List<Example> batch, Throughput seen) {
        SplittableRandom r = draw.random();
        List<Tensor> ms = new ArrayList<>();
        long maxF = 0;
        for (Example e : batch) {
            AudioClip a = clip(e), heard = augment.wave() == null ? a : augment.wave().apply(a, r);
            Tensor base = heard == a ? mels.computeIfAbsent(a, x -> Torch.own(mel.compute(x))) : mel.compute(heard); // clean clips' log-mel cached, [M, F]
            Tensor m = MelWarp.apply(base, augment.warp(), r, enc.config().maxFrames()); // [M, F], F as warped
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
            x = SpecAugment.apply(x, augment.specAugment(), r);                    // time, then frequency
            if (f < maxF) x = torch.cat(new TensorVector(x, torch.full(new long[]{m.size(0), maxF - f}, Torch.scalar(Torch.toFloats(m.min())[0]), Torch.options(DType.F32))), 1);
            padded[i] = x;
            inLens[i] = (f + 1) / 2;
            long[] t = targets.get(batch.get(i));
            tgtLens[i] = t.length;
            for (long id : t) flat.add(id);
        }
        Tensor logits;
        try (var ac = dev.auris.core.Autocast.bf16If(augment.bf16())) {
            Tensor h = enc.encode(torch.stack(new TensorVector(padded), 0), false).lastHidden();  // [B, T, D]
            logits = head.apply(h);                                                              // [B, T, V+1]
        }
        Tensor logp = torch.log_softmax(logits.to(torch.ScalarType.Float), -1).transpose(0, 1); // [T, B, V+1], float32
        Tensor tg = Torch.fromLongs(flat.stream().mapToLong(Long::longValue).toArray(), flat.size());
        Tensor loss = torch.ctc_loss(logp, tg, inLens, tgtLens, vocab.vocabSize(), 1 /* mean */, true);
        for (Example e : batch) seen.audio += e.audioSeconds();
        return new Loss(loss, Float.NaN);
    }

    /**
     * The held-out sets' mean CTC loss (each clip's divided by its target length, as training's), clean clips;
     * reports each set's greedy token error rate too. NaN without held-out sets.
     */
    @Override
    public double validate() {
        if (heldOut.isEmpty()) return Double.NaN;
        double loss = 0;
        long clips = 0, errors = 0, total = 0;
        StringJoiner report = new StringJoiner(" · ", "encoder step " + (lastStep + 1) + ": held-out token error rate ", "");
        try (var guard = new NoGradGuard()) {
            for (var set : heldOut.entrySet()) {
                long setErrors = 0, setTotal = 0;
                for (Example e : set.getValue()) {
                    try (PointerScope scope = new PointerScope()) {
                        Tensor logits = head.apply(enc.encode(mel.compute(clip(e)), false).lastHidden().select(0, 0));  // [T, V+1]
                        int[] ref = vocab.encode(e.answer());
                        int[] hyp = dev.auris.hearing.CtcHearing.greedy(logits, vocab.vocabSize()); // the hearing stage's greedy CTC
                        setErrors += Wer.editDistance(ref, hyp);
                        setTotal += ref.length;
                        if (ref.length == 0) continue;
                        Tensor logp = torch.log_softmax(logits, -1).unsqueeze(1);                     // [T, 1, V+1]
                        Tensor tg = Torch.fromLongs(Arrays.stream(ref).asLongStream().toArray(), ref.length);
                        Tensor l = torch.ctc_loss(logp, tg, new long[]{logits.size(0)}, new long[]{ref.length}, vocab.vocabSize(), 1, true);
                        loss += Torch.toFloats(l)[0];
                        clips++;
                    }
                }
                report.add(String.format(Locale.ROOT, "%s %.3f", set.getKey(), (double) setErrors / Math.max(1, setTotal)));
                errors += setErrors;
                total += setTotal;
            }
        }
        heldOutTokenErrorRate = (double) errors / Math.max(1, total);
        progress.message(report.toString());
        return clips == 0 ? Double.NaN : loss / clips;
    }

    /** Greedy token error rate over all held-out sets at the last {@link #validate()} (edit distance over reference tokens); NaN before one. */
    double heldOutTokenErrorRate() { return heldOutTokenErrorRate; }

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

    /** Frees the cached log-mels. */
    @Override
    public void close() {
        mels.values().forEach(Tensor::close);
    }
}
