package dev.auris.speech;

import dev.auris.core.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The CTC loss over units against brute force: every one of the Cᵀ frame paths enumerated, the probability
 * of those that collapse to the target summed (loss = −log of it), and the gradient w.r.t. the logits
 * (p − posterior occupancy of each label at each frame) from the same enumeration, in double precision.
 */
class UnitCtcTest {
    /** −log P(target) and its gradient w.r.t. the logits [T, C], by enumerating all C^T paths. */
    static double[] bruteForce(double[][] logits, long[] target, int blank, double[][] gradOut) {
        int t = logits.length, c = logits[0].length;
        double[][] p = new double[t][c];
        for (int i = 0; i < t; i++) {
            double m = Double.NEGATIVE_INFINITY, s = 0;
            for (double v : logits[i]) m = Math.max(m, v);
            for (int k = 0; k < c; k++) s += Math.exp(logits[i][k] - m);
            for (int k = 0; k < c; k++) p[i][k] = Math.exp(logits[i][k] - m) / s;
        }
        double total = 0;
        double[][] occupancy = new double[t][c];
        int[] path = new int[t];
        long paths = (long) Math.pow(c, t);
        for (long code = 0; code < paths; code++) {
            long x = code;
            for (int i = 0; i < t; i++) { path[i] = (int) (x % c); x /= c; }
            long[] frames = new long[t];
            for (int i = 0; i < t; i++) frames[i] = path[i];
            if (!java.util.Arrays.equals(new GreedyCtc(blank).push(frames), target)) continue;
            double prob = 1;
            for (int i = 0; i < t; i++) prob *= p[i][path[i]];
            total += prob;
            for (int i = 0; i < t; i++) occupancy[i][path[i]] += prob;
        }
        for (int i = 0; i < t; i++) for (int k = 0; k < c; k++) gradOut[i][k] = p[i][k] - occupancy[i][k] / total;
        return new double[]{-Math.log(total)};
    }

    @Test
    void lossAndGradientEqualBruteForce() {
        Random r = new Random(7);
        int blank = 3, c = 4;                      // K = 3 units + blank (index K, as LLaMA-Omni)
        long[][] targets = {{0, 2}, {1, 1}, {2}, {0, 1, 0}};
        int[] frames = {5, 6, 4, 7};
        for (int s = 0; s < targets.length; s++) {
            int t = frames[s];
            double[][] z = new double[t][c];
            float[] flat = new float[t * c];
            for (int i = 0; i < t; i++) for (int k = 0; k < c; k++) flat[i * c + k] = (float) (z[i][k] = (float) (r.nextGaussian() * 1.5));
            double[][] grad = new double[t][c];
            double expected = bruteForce(z, targets[s], blank, grad)[0];
            try (PointerScope scope = new PointerScope()) {
                Tensor logits = Torch.fromFloats(flat, t, c).requires_grad_(true);
                Tensor loss = UnitCtc.loss(List.of(logits), List.<long[]>of(targets[s]), blank);
                loss.backward();
                double got = Torch.toFloats(loss)[0] * targets[s].length;   // the loss is divided by the target length
                assertEquals(expected, got, 1e-5, "loss of target " + java.util.Arrays.toString(targets[s]));
                float[] g = Torch.toFloats(logits.grad());
                double maxErr = 0;
                for (int i = 0; i < t; i++) for (int k = 0; k < c; k++) maxErr = Math.max(maxErr, Math.abs(g[i * c + k] * targets[s].length - grad[i][k]));
                System.out.printf("CTC target %s over %d frames: loss %.6f (brute force %.6f), max |Δ grad| %.2e%n",
                        java.util.Arrays.toString(targets[s]), t, got, expected, maxErr);
                assertTrue(maxErr < 1e-5, "gradient max |Δ| " + maxErr);
            }
        }
    }

    @Test
    void batchIsSumOverSequencesDividedByAllTargetUnits() {
        Random r = new Random(3);
        int blank = 3, c = 4;
        long[][] targets = {{0, 2}, {1}};
        int[] frames = {5, 3};
        double sum = 0;
        List<Tensor> logits = new ArrayList<>();
        try (PointerScope scope = new PointerScope()) {
            for (int s = 0; s < 2; s++) {
                double[][] z = new double[frames[s]][c];
                float[] flat = new float[frames[s] * c];
                for (int i = 0; i < frames[s]; i++) for (int k = 0; k < c; k++) flat[i * c + k] = (float) (z[i][k] = (float) r.nextGaussian());
                sum += bruteForce(z, targets[s], blank, new double[frames[s]][c])[0];
                logits.add(Torch.fromFloats(flat, frames[s], c));
            }
            double got = Torch.toFloats(UnitCtc.loss(logits, List.of(targets), blank))[0];
            assertEquals(sum / 3, got, 1e-5);
        }
    }

    @Test
    void greedyCollapseCarriesTheLastLabelAcrossPieces() {
        GreedyCtc g = new GreedyCtc(9);
        assertArrayEquals(new long[]{1}, g.push(new long[]{9, 1, 1}));
        assertArrayEquals(new long[]{2}, g.push(new long[]{1, 1, 2}));   // 1 continues over the boundary
        assertArrayEquals(new long[]{2}, g.push(new long[]{9, 2}));      // a blank separates equal units
        assertArrayEquals(new long[]{}, g.push(new long[]{2, 9, 9}));
    }
}
