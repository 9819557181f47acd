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

    /** log-mel [B, 80, frames] of waveforms [B, 1, S] (differentiable). */
    public static Tensor mel(Tensor y) {
        int pad = (N_FFT - HOP) / 2;
        Tensor x = torch.reflection_pad1d(y, new long[]{pad, pad}).squeeze(1);                // [B, S + n_fft − hop]
        Tensor window = torch.hann_window(N_FFT, true, new TensorOptions(torch.ScalarType.Float));
        Tensor spec = torch.stft(x, N_FFT, new LongOptional(HOP), new LongOptional(N_FFT), new TensorOptional(window),
                false, "reflect", false, new BoolOptional(true), new BoolOptional(true), new BoolOptional());   // [B, 513, frames] complex
        Tensor mag = torch.view_as_real(spec).pow(Torch.scalar(2)).sum(new long[]{-1}, false, new ScalarTypeOptional()).add(Torch.scalar(1e-9)).sqrt();
        Tensor fb = Torch.fromFloats(FILTERS, N_MELS, N_FFT / 2 + 1);
        return torch.log(torch.clamp_min(torch.matmul(fb, mag), Torch.scalar(1e-5)));
    }

    public static Tensor melL1(Tensor real, Tensor fake) {
        return mel(real).sub(mel(fake)).abs().mean().mul(Torch.scalar(MEL_WEIGHT));
    }

    static Tensor zeros() { return torch.zeros(new long[]{}, Torch.options(DType.F32)); }
}
