"""Plain-numpy (float64) port of HiFi-GAN's training-only parts as Auris trains its unit vocoder
(jik876/hifi-gan models.py: DiscriminatorP, MultiPeriodDiscriminator, DiscriminatorS,
MultiScaleDiscriminator, feature_loss, discriminator_loss, generator_loss; meldataset.py: mel_spectrogram),
with Auris's narrowing: channels 1 -> c -> 2c -> 4c -> 8c -> 8c (MPD) and 1 -> c -> 2c -> 4c -> 8c -> 8c -> 8c (MSD),
MSD groups min(4, C_in), plain weights (no weight / spectral norm), mel at 16 kHz (n_fft 1024, hop 256, 80 Slaney bins)."""
import math
import numpy as np
from refimpl_speech import conv1d, leaky

LRELU = 0.1
PERIODS = (2, 3, 5, 7, 11)


def conv2d_k1(x, w, b, stride, padding):
    """torch conv2d on x [C_in, H, W] with a (K, 1) kernel w [C_out, C_in, K, 1], stride (s, 1), padding (p, 0)."""
    c_out, c_in, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (0, 0)))
    h = (xp.shape[1] - k) // stride + 1
    out = np.zeros((c_out, h, x.shape[2]))
    for j in range(k):
        out += np.einsum("oi,ihw->ohw", w[:, :, j, 0], xp[:, j: j + stride * (h - 1) + 1: stride, :])
    return out + b[:, None, None]


def conv1d_strided(x, w, b, stride, padding, groups):
    """torch conv1d on x [C_in, L], w [C_out, C_in/groups, K]."""
    c_out, cig, k = w.shape
    og = c_out // groups
    xp = np.pad(x, ((0, 0), (padding, padding)))
    n = (xp.shape[1] - k) // stride + 1
    out = np.zeros((c_out, n))
    for g in range(groups):
        xs = xp[g * cig:(g + 1) * cig]
        for j in range(k):
            out[g * og:(g + 1) * og] += w[g * og:(g + 1) * og, :, j] @ xs[:, j: j + stride * (n - 1) + 1: stride]
    return out + b[:, None]


def period_disc(y, p, sd):
    """DiscriminatorP on y [S]: score (flattened) and feature maps."""
    t = y.shape[0]
    if t % p:
        n_pad = p - t % p
        y = np.concatenate([y, y[-2:-2 - n_pad:-1]])          # F.pad(..., "reflect") on the right
    x = y.reshape(1, -1, p)
    feats = []
    for l in range(5):
        x = leaky(conv2d_k1(x, sd[f"mpd.{p}.{l}.weight"], sd[f"mpd.{p}.{l}.bias"], 3 if l < 4 else 1, 2), LRELU)
        feats.append(x)
    x = conv2d_k1(x, sd[f"mpd.{p}.post.weight"], sd[f"mpd.{p}.post.bias"], 1, 1)
    feats.append(x)
    return x.reshape(-1), feats


def avg_pool(x, k=4, s=2, p=2):
    """AvgPool1d(4, 2, padding=2), count_include_pad=True, on x [C, L]."""
    xp = np.pad(x, ((0, 0), (p, p)))
    n = (xp.shape[1] - k) // s + 1
    return np.stack([xp[:, i * s: i * s + k].mean(1) for i in range(n)], 1)


def scale_disc(x, s, sd, chans):
    strides, pads = (1, 2, 2, 4, 4, 1), (7, 20, 20, 20, 20, 2)
    feats = []
    for l in range(6):
        g = min(4, chans[l]) if 1 <= l <= 4 else 1
        x = leaky(conv1d_strided(x, sd[f"msd.{s}.{l}.weight"], sd[f"msd.{s}.{l}.bias"], strides[l], pads[l], g), LRELU)
        feats.append(x)
    x = conv1d_strided(x, sd[f"msd.{s}.post.weight"], sd[f"msd.{s}.post.bias"], 1, 1, 1)
    feats.append(x)
    return x.reshape(-1), feats


def discriminators(y, sd, base):
    """All 8 (MPD 2,3,5,7,11 then MSD x1, x2, x4) on y [S]: list of (score, feats)."""
    chans = [1, base, 2 * base, 4 * base, 8 * base, 8 * base, 8 * base]
    out = [period_disc(y, p, sd) for p in PERIODS]
    x = y[None, :]
    for s in range(3):
        if s:
            x = avg_pool(x)
        out.append(scale_disc(x, s, sd, chans))
    return out


def losses(real, fake):
    """(discriminator LSGAN, generator LSGAN, feature matching x2) for one waveform pair (batch 1)."""
    d = sum(((1 - r[0]) ** 2).mean() + (g[0] ** 2).mean() for r, g in zip(real, fake))
    adv = sum(((1 - g[0]) ** 2).mean() for g in fake)
    fm = 2 * sum(np.abs(fr - fg).mean() for r, g in zip(real, fake) for fr, fg in zip(r[1], g[1]))
    return d, adv, fm


def slaney_mel(sr, n_fft, n_mels):
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, step = min_log_hz / f_sp, math.log(6.4) / 27.0
    hz2mel = lambda f: min_log_mel + math.log(f / min_log_hz) / step if f >= min_log_hz else f / f_sp
    mel2hz = lambda m: min_log_hz * math.exp(step * (m - min_log_mel)) if m >= min_log_mel else f_sp * m
    fft = np.arange(n_fft // 2 + 1) * sr / n_fft
    lo, hi = hz2mel(0), hz2mel(sr / 2)
    mf = np.array([mel2hz(lo + (hi - lo) * i / (n_mels + 1)) for i in range(n_mels + 2)])
    w = np.zeros((n_mels, n_fft // 2 + 1))
    for m in range(n_mels):
        lower = (fft - mf[m]) / (mf[m + 1] - mf[m])
        upper = (mf[m + 2] - fft) / (mf[m + 2] - mf[m + 1])
        w[m] = np.maximum(0, np.minimum(lower, upper)) * 2.0 / (mf[m + 2] - mf[m])
    return w


def mel_spectrogram(y, n_fft=1024, hop=256, n_mels=80, sr=16000):
    """meldataset.py mel_spectrogram (center=False after reflect-padding (n_fft-hop)/2, Hann, magnitude sqrt(p + 1e-9),
    log(clamp(., 1e-5))) on y [S]: [frames, n_mels]."""
    p = (n_fft - hop) // 2
    x = np.concatenate([y[p:0:-1], y, y[-2:-2 - p:-1]])
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    n = (len(x) - n_fft) // hop + 1
    frames = np.stack([x[i * hop: i * hop + n_fft] * win for i in range(n)])
    spec = np.fft.rfft(frames, axis=1)
    mag = np.sqrt(spec.real ** 2 + spec.imag ** 2 + 1e-9)
    return np.log(np.maximum(mag @ slaney_mel(sr, n_fft, n_mels).T, 1e-5))
