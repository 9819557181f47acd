package dev.auris.train.voice;

import dev.auris.core.DType;
import dev.auris.core.Torch;
import dev.auris.features.MelFilters;
import org.bytedeco.pytorch.*;
import org.bytedeco.pytorch.global.torch;

import java.util.List;

/**
 * HiFi-GAN's losses (Kong et al. 2020, §2.4; {@code models.py}): LSGAN for the discriminators
 * (E(D(y) − 1)² + E D(ŷ)²) and the generator (E(D(ŷ) − 1)²), feature matching (×2, L1 between every feature
 * map), and the mel-spectrogram L1 (×45) on HiFi-GAN's {@code mel_spectrogram}: magnitude STFT (n_fft 1024,
 * hop 256, Hann 1024, centred by reflect padding of (n_fft − hop) / 2 each side), Slaney mel (80 bins),
 * natural log of clamp(·, 1e-5).
 */
public final class GanLosses {
    static final int N_FFT = 1024, HOP = 256, N_MELS = 80;
    public static final double MEL_WEIGHT = 45, FM_WEIGHT = 2;
    private static final float[] FILTERS = MelFilters.slaney(16000, N_FFT, N_MELS);

    private GanLosses() {}

    public static Tensor discriminator(List<HifiGanDiscriminators.Out> real, List<HifiGanDiscriminators.Out> fake) {
        Tensor loss = null;
        for (int i = 0; i < real.size(); i++) {
            Tensor r = real.get(i).score().sub(Torch.scalar(1)).pow(Torch.scalar(2)).mean();
            Tensor g = fake.get(i).score().pow(Torch.scalar(2)).mean();
            loss = loss == null ? r.add(g) : loss.add(r).add(g);
        }
        return loss;
    }

    public static Tensor adversarial(List<HifiGanDiscriminators.Out> fake) {
        Tensor loss = null;
        for (HifiGanDiscriminators.Out o : fake) {
            Tensor l = o.score().sub(Torch.scalar(1)).pow(Torch.scalar(2)).mean();
            loss = loss == null ? l : loss.add(l);
        }
        return loss;
    }

    public static Tensor featureMatching(List<HifiGanDiscriminators.Out> real, List<HifiGanDiscriminators.Out> fake) {
        Tensor loss = null;
        for (int i = 0; i < real.size(); i++) {
            for (int j = 0; j < real.get(i).features().size(); j++) {
                Tensor l = real.get(i).features().get(j).detach().sub(fake.get(i).features().get(j)).abs().mean();
                loss = loss == null ? l : loss.add(l);
            }
        }
        return loss.mul(Torch.scalar(FM_WEIGHT));
    }

    /**
     * log-mel [B, frames, 80] of waveforms [B, 1, S] (differentiable). The STFT is a matmul with a windowed
     * real DFT basis over unfolded frames (libtorch's complex stft backward gave non-finite gradients here).
     */
    public static Tensor mel(Tensor y) {
        int pad = (N_FFT - HOP) / 2;
        Tensor x = torch.reflection_pad1d(y, new long[]{pad, pad}).squeeze(1);                // [B, S + n_fft − hop]
        Tensor frames = x.unfold(1, N_FFT, HOP);                                              // [B, frames, n_fft]
        Tensor spec = torch.matmul(frames, basis());                                          // [B, frames, 2·513]: re | im
        Tensor re = spec.narrow(2, 0, N_FFT / 2 + 1), im = spec.narrow(2, N_FFT / 2 + 1, N_FFT / 2 + 1);
        Tensor mag = re.pow(Torch.scalar(2)).add(im.pow(Torch.scalar(2))).add(Torch.scalar(1e-9)).sqrt();   // [B, frames, 513]
        Tensor fb = Torch.fromFloats(FILTERS, N_MELS, N_FFT / 2 + 1);
        return torch.log(torch.clamp_min(torch.matmul(mag, fb.t()), Torch.scalar(1e-5)));    // [B, frames, 80]
    }

    private static float[] basisValues;

    /** Periodic Hann window × cos / −sin of the DFT: [n_fft, 2·(n_fft/2 + 1)]. */
    private static synchronized Tensor basis() {
        if (basisValues == null) {
            int bins = N_FFT / 2 + 1;
            float[] b = new float[N_FFT * 2 * bins];
            for (int n = 0; n < N_FFT; n++) {
                double w = 0.5 - 0.5 * Math.cos(2 * Math.PI * n / N_FFT);
                for (int k = 0; k < bins; k++) {
                    double a = 2 * Math.PI * k * n / N_FFT;
                    b[n * 2 * bins + k] = (float) (w * Math.cos(a));
                    b[n * 2 * bins + bins + k] = (float) (-w * Math.sin(a));
                }
            }
            basisValues = b;
        }
        return Torch.fromFloats(basisValues, N_FFT, 2L * (N_FFT / 2 + 1));
    }

    public static Tensor melL1(Tensor real, Tensor fake) {
        return mel(real).sub(mel(fake)).abs().mean().mul(Torch.scalar(MEL_WEIGHT));
    }

    static Tensor zeros() { return torch.zeros(new long[]{}, Torch.options(DType.F32)); }
}
