package dev.auris.speech;

import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.Arrays;
import java.util.List;

/**
 * The CTC loss over units as LLaMA-Omni trains its speech decoder ({@code speech_generator.py}
 * {@code forward}): log-softmax in float32, libtorch's {@code ctc_loss} with blank = K, summed over the batch
 * with {@code zero_infinity}, divided by the total number of target units.
 */
public final class UnitCtc {
    private UnitCtc() {}

    /**
     * @param logits  per sequence, the decoder's logits [T'_b, K + 1] (any float dtype)
     * @param targets per sequence, its units (each in 0..K−1, at most T'_b of them)
     * @return the scalar loss (differentiable w.r.t. the logits)
     */
    public static Tensor loss(List<Tensor> logits, List<long[]> targets, int blank) {
        if (logits.size() != targets.size() || logits.isEmpty()) {
            throw new IllegalArgumentException("CTC needs one target per sequence, got " + logits.size() + " logits and " + targets.size() + " targets");
        }
        int b = logits.size();
        long[] inLens = new long[b], tgtLens = new long[b];
        long total = 0, maxT = 0;
        for (int i = 0; i < b; i++) {
            Tensor l = logits.get(i);
            if (l.dim() != 2 || l.size(1) != blank + 1) {
                throw new IllegalArgumentException("logits of sequence " + i + " must be [T', " + (blank + 1) + "], got " + Arrays.toString(Torch.shape(l)));
            }
            for (long u : targets.get(i)) {
                if (u < 0 || u >= blank) throw new IllegalArgumentException("unit " + u + " of sequence " + i + " is outside 0.." + (blank - 1));
            }
            if (targets.get(i).length > l.size(0)) {
                throw new IllegalArgumentException("sequence " + i + " has " + targets.get(i).length + " target units but only " + l.size(0)
                        + " frames: upsample to the target length (SpeechDecoder.upsample(reps, targetLength))");
            }
            inLens[i] = l.size(0);
            tgtLens[i] = targets.get(i).length;
            total += tgtLens[i];
            maxT = Math.max(maxT, inLens[i]);
        }
        if (total == 0) throw new IllegalArgumentException("CTC targets are all empty");
        long[] flat = new long[(int) total];
        int o = 0;
        for (long[] t : targets) {
            System.arraycopy(t, 0, flat, o, t.length);
            o += t.length;
        }
        Tensor[] padded = new Tensor[b];
        for (int i = 0; i < b; i++) {
            Tensor lp = torch.log_softmax(logits.get(i).to(torch.ScalarType.Float), -1);   // [T'_i, K + 1]
            padded[i] = torch.constant_pad_nd(lp, new long[]{0, 0, 0, maxT - inLens[i]}, Torch.scalar(0));
        }
        Tensor lp = torch.stack(new org.bytedeco.pytorch.TensorVector(padded), 1);         // [T', B, K + 1]
        Tensor loss = torch.ctc_loss(lp, Torch.fromLongs(flat, total), inLens, tgtLens, blank, 2 /* Reduction::Sum */, true);
        return loss.div(Torch.scalar(total));
    }
}
