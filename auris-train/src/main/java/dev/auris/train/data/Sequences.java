package dev.auris.train.data;

import dev.auris.audio.AudioClip;
import dev.auris.core.Torch;
import dev.auris.encoder.WhisperEncoder;
import dev.auris.prompt.PromptBuilder;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.prompt.Turn;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.*;

/**
 * Examples → LLM training input: prompt items (text tokens and speech slots, rendered with the model's
 * prompt template) followed by the answer's tokens and the end-of-answer token. Labels are -100 (ignored)
 * everywhere but on the answer, so the loss is on assistant tokens only. While the encoder is frozen its
 * outputs are computed once per clip and cached. With a {@link MelAugment} a training batch's clips are heard
 * warped and masked instead (their log-mel cached, the encoder run per draw); validation batches stay clean.
 *
 * <p>Shapes: B batch, T positions (padded to the longest), D LLM width, V vocabulary.
 */
public final class Sequences implements AutoCloseable {
    public static final long IGNORE = -100;

    /** A padded batch: inputs [B, T, D], labels [B, T], and its size in tokens and audio seconds. */
    public record Batch(Tensor inputs, Tensor labels, long positions, long answerTokens, double audioSeconds) {}

    private final SpeechLlm model;
    private final boolean cacheEncoder;
    private final MelAugment augment;
    private final Map<AudioClip, Tensor> mels = new IdentityHashMap<>();
    private final Map<AudioClip, WhisperEncoder.Output> cache = new IdentityHashMap<>();
    private final Map<String, int[]> tokenCache = new HashMap<>();

    public Sequences(SpeechLlm model, boolean encoderFrozen) {
        this(model, encoderFrozen, null);
    }

    /** With {@code augment} (null: none), batches built with a random stream hear their clips augmented. */
    public Sequences(SpeechLlm model, boolean encoderFrozen, MelAugment augment) {
        this.model = model;
        this.cacheEncoder = encoderFrozen;
        this.augment = augment;
    }

    /** An answer's tokens, as the model would generate them after its prompt. */
    private int[] tokens(String text) {
        return tokenCache.computeIfAbsent(text, t -> model.text().tokenizer().encodeContinuation(t));
    }

    /** Answer tokens (with the end-of-answer token) that an answer contributes to the loss. */
    public int answerTokens(String answer) {
        return tokens(answer).length + 1;
    }

    /** One sequence: inputs [T, D], labels [T], and how many labels are answer tokens. */
    public record Seq(Tensor inputs, Tensor labels, int answerTokens) {}

    public Seq sequence(List<Turn> prompt, String answer) {
        return sequence(prompt, answer, null);
    }

    /** One sequence, its clips heard augmented when this builder has a {@link MelAugment} and {@code random} is given. */
    public Seq sequence(List<Turn> prompt, String answer, SplittableRandom random) {
        List<Tensor> pieces = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        for (PromptBuilder.Item it : model.prompt().build(prompt, true)) {
            switch (it) {
                case PromptBuilder.Tokens t -> {
                    pieces.add(model.llm().embed(Torch.fromInts(t.ids())));
                    for (int ignored : t.ids()) labels.add(IGNORE);
                }
                case PromptBuilder.Slot s -> {
                    Tensor e = model.connect(augment == null || random == null ? encoded(s.speech().clip()) : augmented(s.speech().clip(), random)).select(0, 0);   // [T', D]
                    pieces.add(e);
                    for (int i = 0; i < e.size(0); i++) labels.add(IGNORE);
                }
            }
        }
        int[] ans = tokens(answer);
        int[] withEnd = Arrays.copyOf(ans, ans.length + 1);
        withEnd[ans.length] = model.endOfAnswer();
        pieces.add(model.llm().embed(Torch.fromInts(withEnd)));
        for (int id : withEnd) labels.add((long) id);
        Tensor x = torch.cat(new TensorVector(pieces.toArray(Tensor[]::new)), 0);
        return new Seq(x, Torch.fromLongs(labels.stream().mapToLong(Long::longValue).toArray(), labels.size()), withEnd.length);
    }

    private WhisperEncoder.Output encoded(AudioClip clip) {
        if (!cacheEncoder) return model.encodeAudio(clip);
        WhisperEncoder.Output o = cache.get(clip);
        if (o == null) {
            try (var guard = new org.bytedeco.pytorch.NoGradGuard()) {
                WhisperEncoder.Output raw = model.encodeAudio(clip);
                o = new WhisperEncoder.Output(Torch.own(raw.lastHidden()), raw.layers() == null ? null : raw.layers().stream().map(Torch::own).toList());
            }
            cache.put(clip, o);
        }
        return o;
    }

    /** The encoder's output for a warped, masked draw of the clip (no gradient while the encoder is frozen). */
    private WhisperEncoder.Output augmented(AudioClip clip, SplittableRandom random) {
        Tensor mel = mels.computeIfAbsent(clip, c -> Torch.own(model.mel(c)));                 // [M, F]
        Tensor m = augment.apply(mel, random, model.encoder().config().maxFrames(), model.spec().encoder().pad30s()); // [M, F']
        try (var guard = cacheEncoder ? new org.bytedeco.pytorch.NoGradGuard() : null) {
            return model.encoder().encode(m, model.selector().needsAllLayers());
        }
    }

    /** Right-padded batch of answer sequences (the chosen answer for preference examples unless {@code rejected}). */
    public Batch batch(List<Example> examples, boolean rejected) {
        return batch(examples, rejected, null);
    }

    /**
     * Right-padded batch of answer sequences; with {@code random} (a training draw's stream) and this builder's
     * {@link MelAugment}, its clips are heard augmented.
     */
    public Batch batch(List<Example> examples, boolean rejected, SplittableRandom random) {
        List<Seq> seqs = new ArrayList<>();
        double audio = 0;
        long answerTokens = 0;
        for (Example e : examples) {
            Seq s = sequence(e.prompt(), rejected ? e.rejected() : e.answer(), random);
            seqs.add(s);
            audio += e.audioSeconds();
            answerTokens += s.answerTokens();
        }
        long max = seqs.stream().mapToLong(s -> s.inputs().size(0)).max().orElse(0);
        long d = seqs.getFirst().inputs().size(1);
        Tensor[] xs = new Tensor[seqs.size()], ls = new Tensor[seqs.size()];
        long positions = 0;
        for (int i = 0; i < seqs.size(); i++) {
            Tensor x = seqs.get(i).inputs(), l = seqs.get(i).labels();
            long pad = max - x.size(0);
            positions += x.size(0);
            if (pad > 0) {
                x = torch.cat(new TensorVector(x, torch.zeros(new long[]{pad, d}, new org.bytedeco.pytorch.TensorOptions(x.scalar_type()))), 0);
                l = torch.cat(new TensorVector(l, torch.full(new long[]{pad}, new org.bytedeco.pytorch.Scalar(IGNORE), new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Long))), 0);
            }
            xs[i] = x;
            ls[i] = l;
        }
        return new Batch(torch.stack(new TensorVector(xs), 0), torch.stack(new TensorVector(ls), 0), positions, answerTokens, audio);
    }

    /**
     * Per-sequence sum of log-probabilities of the labelled tokens [B] and the mean token loss, for
     * logits [B, T, V] (position t predicts label t+1).
     */
    public static Tensor[] logProbs(Tensor logits, Tensor labels) {
        long v = logits.size(2);
        Tensor lp = torch.log_softmax(logits.narrow(1, 0, logits.size(1) - 1).to(torch.ScalarType.Float), -1); // [B, T-1, V]
        Tensor target = labels.narrow(1, 1, labels.size(1) - 1);                                               // [B, T-1]
        Tensor mask = target.ne(new org.bytedeco.pytorch.Scalar(IGNORE));
        Tensor safe = target.clamp_min(new org.bytedeco.pytorch.Scalar(0)).clamp_max(new org.bytedeco.pytorch.Scalar(v - 1));
        Tensor picked = lp.gather(2, safe.unsqueeze(2)).squeeze(2).mul(mask.to(torch.ScalarType.Float));       // [B, T-1]
        Tensor perSeq = picked.sum(new long[]{1}, false, new org.bytedeco.pytorch.ScalarTypeOptional());        // [B]
        Tensor mean = picked.sum().neg().div(mask.sum().clamp_min(new org.bytedeco.pytorch.Scalar(1)));
        return new Tensor[]{perSeq, mean};
    }

    /**
     * Per-sequence soft cross-entropy [B] of logits [B, T, V(+K)] against a teacher's logits [B, T, V] on
     * the labelled positions (position t predicts label t+1): Σ_t Σ_v p_teacher(v | t) log p(v | t).
     */
    public static Tensor softLogProbs(Tensor logits, Tensor teacher, Tensor labels) {
        long v = teacher.size(2), t = logits.size(1) - 1;
        Tensor lp = torch.log_softmax(logits.narrow(1, 0, t).to(torch.ScalarType.Float), -1).narrow(2, 0, v);   // [B, T-1, V]
        Tensor p = torch.softmax(teacher.narrow(1, 0, t).to(torch.ScalarType.Float), -1);                      // [B, T-1, V]
        Tensor mask = labels.narrow(1, 1, t).ne(new org.bytedeco.pytorch.Scalar(IGNORE)).to(torch.ScalarType.Float); // [B, T-1]
        Tensor perPos = p.mul(lp).sum(new long[]{2}, false, new org.bytedeco.pytorch.ScalarTypeOptional());        // [B, T-1]
        return perPos.mul(mask).sum(new long[]{1}, false, new org.bytedeco.pytorch.ScalarTypeOptional());          // [B]
    }

    @Override
    public void close() {
        for (WhisperEncoder.Output o : cache.values()) {
            o.lastHidden().close();
            if (o.layers() != null) o.layers().forEach(Tensor::close);
        }
        cache.clear();
        mels.values().forEach(Tensor::close);
        mels.clear();
    }
}
