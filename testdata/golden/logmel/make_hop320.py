"""Golden log-mel at hop 320 (20 ms): openai/whisper audio.log_mel_spectrogram semantics in plain numpy
float64 (periodic Hann window of 400, centred STFT with reflect padding, last frame dropped, power
spectrum, Slaney filters from assets/whisper/mel_80.npy, log10 clamp 1e-10, floor at max - 8, (x + 4) / 4),
with hop_length as a parameter. Run from the repository root: python3 testdata/golden/logmel/make_hop320.py
It first checks itself against expected_mel.npy (hop 160), then writes expected_mel_hop320.npy."""
import numpy as np

def log_mel(audio, filters, hop, n_fft=400):
    x = np.pad(audio.astype(np.float64), (n_fft // 2, n_fft // 2), mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    frames = 1 + (len(x) - n_fft) // hop
    stft = np.stack([np.fft.rfft(window * x[i * hop:i * hop + n_fft]) for i in range(frames)], axis=1)
    power = np.abs(stft[:, :-1]) ** 2
    mel = filters.astype(np.float64) @ power
    log = np.log10(np.maximum(mel, 1e-10))
    log = np.maximum(log, log.max() - 8.0)
    return (log + 4.0) / 4.0

d = "testdata/golden/logmel/"
audio = np.load(d + "audio_samples.npy")
filters = np.load("assets/whisper/mel_80.npy")
check = np.abs(log_mel(audio, filters, 160) - np.load(d + "expected_mel.npy")).max()
assert check < 1e-5, check
out = log_mel(audio, filters, 320).astype("<f4")
np.save(d + "expected_mel_hop320.npy", out)
print("hop 160 self-check max |diff|", check, "; wrote", out.shape)
