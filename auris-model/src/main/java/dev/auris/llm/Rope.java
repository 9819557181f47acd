package dev.auris.llm;

import dev.auris.core.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Rotary position embedding as Hugging Face applies it ({@code rotate_half}: dimension i pairs with
 * i + head_dim/2; {@code emb = cat(freqs, freqs)}), with the inverse frequencies of transformers'
 * {@code _compute_default/linear/llama3_rope_parameters}. Frequencies and angles are computed in
 * double precision and rounded once.
 */
public final class Rope {
    private final double[] invFreq; // [head_dim / 2]
    private final double positionScale;

    public Rope(LlmConfig c) {
        int half = c.headDim() / 2;
        double[] f = new double[half];
        for (int i = 0; i < half; i++) f[i] = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / c.headDim());
        LlmConfig.RopeScaling s = c.ropeScaling();
        double scale = 1;
        if (s != null && s.type().equals("llama3")) {
            double lowWavelen = s.originalMaxPositions() / s.lowFreqFactor();
            double highWavelen = s.originalMaxPositions() / s.highFreqFactor();
            for (int i = 0; i < half; i++) {
                double wavelen = 2 * Math.PI / f[i];
                if (wavelen > lowWavelen) {
                    f[i] = f[i] / s.factor();
                } else if (wavelen >= highWavelen) { // medium band: interpolate
                    double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                    f[i] = (1 - smooth) * f[i] / s.factor() + smooth * f[i];
                }
            }
        } else if (s != null && s.type().equals("linear")) {
            scale = 1 / s.factor();
        }
        this.invFreq = f;
        this.positionScale = scale;
    }

    public double[] invFreq() { return invFreq.clone(); }

    /** cos and sin tables [T, head_dim] for positions start .. start+T-1, as float32. */
    public Tensor[] cosSin(long start, int length) {
        long[] positions = new long[length];
        for (int t = 0; t < length; t++) positions[t] = start + t;
        return cosSinAt(positions);
    }

    /** cos and sin tables [n, head_dim] for the given positions (rows of a batch each at its own), as float32. */
    public Tensor[] cosSinAt(long[] positions) {
        int half = invFreq.length, dim = 2 * half, n = positions.length;
        float[] cos = new float[n * dim], sin = new float[n * dim];
        for (int t = 0; t < n; t++) {
            double pos = positions[t] * positionScale;
            for (int i = 0; i < half; i++) {
                double a = pos * invFreq[i];
                float c = (float) Math.cos(a), s = (float) Math.sin(a);
                cos[t * dim + i] = c;
                cos[t * dim + i + half] = c;
                sin[t * dim + i] = s;
                sin[t * dim + i + half] = s;
            }
        }
        return new Tensor[]{Torch.fromFloats(cos, n, dim), Torch.fromFloats(sin, n, dim)};
    }

    /** cos and sin [head_dim / 2] of one position (the halves {@link #cosSin} repeats), for the fused decode step. */
    void halves(long position, float[] cos, float[] sin) {
        double pos = position * positionScale;
        for (int i = 0; i < invFreq.length; i++) {
            double a = pos * invFreq[i];
            cos[i] = (float) Math.cos(a);
            sin[i] = (float) Math.sin(a);
        }
    }

    /** x * cos + rotate_half(x) * sin for x [B, H, T, hd] and tables [T, hd]. */
    public static Tensor apply(Tensor x, Tensor cos, Tensor sin) {
        long half = x.size(3) / 2;
        Tensor x1 = x.narrow(3, 0, half), x2 = x.narrow(3, half, half);
        Tensor rotated = torch.cat(new org.bytedeco.pytorch.TensorVector(x2.neg(), x1), 3);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
