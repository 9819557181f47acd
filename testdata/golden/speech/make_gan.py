"""Writes testdata/golden/speech/hifigan-disc: random discriminator weights (Auris's names), a real and a
generated waveform, and what refimpl_gan.py computes for them. Run from this directory: python3 make_gan.py"""
import json, os, struct
import numpy as np
import refimpl_gan as ref


def write_safetensors(path, tensors):                 # as make_speech.py's (not imported: importing it regenerates its set)
    header, off, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def npy(path, a):
    np.save(path, np.asarray(a, dtype="<f4"))

rng = np.random.default_rng(20261204)
BASE, S = 4, 1000
out = "hifigan-disc"
os.makedirs(out, exist_ok=True)
sd = {}
ch_p = [1, BASE, 2 * BASE, 4 * BASE, 8 * BASE, 8 * BASE]
for p in ref.PERIODS:
    for l in range(5):
        sd[f"mpd.{p}.{l}.weight"] = rng.normal(0, 0.3, (ch_p[l + 1], ch_p[l], 5, 1))
        sd[f"mpd.{p}.{l}.bias"] = rng.normal(0, 0.1, ch_p[l + 1])
    sd[f"mpd.{p}.post.weight"] = rng.normal(0, 0.3, (1, ch_p[5], 3, 1))
    sd[f"mpd.{p}.post.bias"] = rng.normal(0, 0.1, 1)
ch_s = [1, BASE, 2 * BASE, 4 * BASE, 8 * BASE, 8 * BASE, 8 * BASE]
for s in range(3):
    sd[f"msd.{s}.0.weight"] = rng.normal(0, 0.2, (ch_s[1], 1, 15))
    sd[f"msd.{s}.0.bias"] = rng.normal(0, 0.1, ch_s[1])
    for l in range(1, 5):
        g = min(4, ch_s[l])
        sd[f"msd.{s}.{l}.weight"] = rng.normal(0, 0.1, (ch_s[l + 1], ch_s[l] // g, 41))
        sd[f"msd.{s}.{l}.bias"] = rng.normal(0, 0.1, ch_s[l + 1])
    sd[f"msd.{s}.5.weight"] = rng.normal(0, 0.2, (ch_s[6], ch_s[5], 5))
    sd[f"msd.{s}.5.bias"] = rng.normal(0, 0.1, ch_s[6])
    sd[f"msd.{s}.post.weight"] = rng.normal(0, 0.2, (1, ch_s[6], 3))
    sd[f"msd.{s}.post.bias"] = rng.normal(0, 0.1, 1)
sd = {k: v.astype(np.float32).astype(np.float64) for k, v in sd.items()}      # what the f32 file holds
t = np.arange(S) / 16000
y = (0.5 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.normal(0, 1, S)).astype(np.float32).astype(np.float64)
y_hat = (0.4 * np.sin(2 * np.pi * 230 * t + 0.3) + 0.1 * rng.normal(0, 1, S)).astype(np.float32).astype(np.float64)
write_safetensors(f"{out}/discriminators.safetensors", sd)
npy(f"{out}/y.npy", y)
npy(f"{out}/y_hat.npy", y_hat)
real, fake = ref.discriminators(y, sd, BASE), ref.discriminators(y_hat, sd, BASE)
d, adv, fm = ref.losses(real, fake)
mel_l1 = np.abs(ref.mel_spectrogram(y) - ref.mel_spectrogram(y_hat)).mean()
for i, (score, _) in enumerate(fake):
    npy(f"{out}/score_fake_{i}.npy", score)
json.dump({"base": BASE, "samples": S, "loss_d": d, "loss_adv": adv, "loss_fm": fm, "mel_l1": mel_l1,
           "score_sizes": [len(s) for s, _ in fake]}, open(f"{out}/expected.json", "w"), indent=1)
print(json.load(open(f"{out}/expected.json")))
