package dev.auris.train.data;

import dev.auris.core.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The soft (distillation) cross-entropy reduces to the answer tokens' log-probability for a one-hot teacher, and only labelled positions count. */
class SequencesTest {
    @Test
    void softLogProbsOfAOneHotTeacherAreTheHardLogProbs() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(5);
            long b = 2, t = 6, v = 11;
            Tensor logits = torch.randn(new long[]{b, t, v});
            long[] lab = {-100, -100, 3, 4, 5, -100, -100, 7, 1, 2, 9, 10};
            Tensor labels = Torch.fromLongs(lab, b, t);
            // teacher: at position p, all mass on label p+1 (where there is one)
            float[] teach = new float[(int) (b * t * v)];
            for (int i = 0; i < b; i++) {
                for (int p = 0; p + 1 < t; p++) {
                    long next = lab[(int) (i * t + p + 1)];
                    if (next >= 0) teach[(int) ((i * t + p) * v + next)] = 200f;
                }
            }
            Tensor soft = Sequences.softLogProbs(logits, Torch.fromFloats(teach, b, t, v), labels);
            Tensor hard = Sequences.logProbs(logits, labels)[0];
            assertArrayEquals(Torch.toFloats(hard), Torch.toFloats(soft), 1e-4f);
            // a uniform teacher gives the mean log-probability over the vocabulary, per labelled position
            Tensor uniform = Sequences.softLogProbs(logits, torch.zeros(new long[]{b, t, v}), labels);
            Tensor lp = torch.log_softmax(logits, -1).mean(new long[]{2}, false, new org.bytedeco.pytorch.ScalarTypeOptional()); // [B, T]
            float[] l = Torch.toFloats(lp);
            float want0 = l[1] + l[2] + l[3], want1 = l[6] + l[7] + l[8] + l[9] + l[10];
            assertArrayEquals(new float[]{want0, want1}, Torch.toFloats(uniform), 1e-4f);
        }
    }
}
