"""Golden outputs of every Auris connector (survey §4 step 2), from a plain-numpy float64 re-implementation.

Each connector's semantics, as its reference describes it:
  frame-stack-mlp  LLaMA-Omni omni_speech/model/speech_projector/speech_projector.py (EncoderProjectorConcat):
                   drop T % k frames, view [B, T/k, k*De], Linear -> ReLU -> Linear
  linear           LLaSM's modal adaptor: the same stacking, one Linear
  conv             Conv1d(De -> H, kernel k, stride k) over time, exact (erf) GELU, Linear(H -> D)
  token-mapper     nearest centroid (squared Euclidean), consecutive duplicates merged, unit u -> text id V - K + u,
                   that row of the LLM's embedding table; rows zero-padded to the longest
  ctc-compress     CTC head [V+1, De] (blank last); frames with blank probability >= threshold dropped, runs of kept
                   frames with the same best token one segment; a segment = its mean posterior (softmax at the
                   temperature) over V tokens, renormalised, times the embedding table; no kept frame: the least-blank frame
  audio-vocab      units as token-mapper, rows of the connector's own embedding [K, D]; extra logits hidden @ lm_head^T

Run: python3 make.py  (numpy only). Writes connector_<case>.safetensors (weights by Auris's names), features.npy
[B, T, De], table.npy [V, D], hidden.npy, expected_<case>.npy (float64 results rounded once to float32).
"""
import json, math, struct
import numpy as np

rng = np.random.default_rng(20261203)
B, T, De, D, V, K = 2, 10, 8, 6, 16, 5


def w(*shape, s=0.3):
    return rng.normal(0, s, shape)


def save_safetensors(path, tensors):
    header, off, blobs = {}, 0, []
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype='<f4').tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)  # what Java reads back


def stack(x, k):
    b, t, d = x.shape
    if t < k:
        x = np.concatenate([x, np.zeros((b, k - t, d))], 1)
        t = k
    g = t // k
    return x[:, :g * k].reshape(b, g, k * d)


def linear(x, wt, bias):
    return x @ wt.T + bias


def gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def units(x, codebook):
    d = ((x[:, None, :] - codebook[None]) ** 2).sum(-1)
    ids = d.argmin(1)
    return [int(u) for i, u in enumerate(ids) if i == 0 or ids[i - 1] != u]


def pad(rows):
    n = max(len(r) for r in rows)
    return np.stack([np.concatenate([r, np.zeros((n - len(r), r.shape[1]))]) if len(r) < n else r for r in rows])


features = f32(w(B, T, De, s=1.0))
table = f32(w(V, D))
hidden = f32(w(B, 3, D))
np.save("features.npy", features.astype(np.float32))
np.save("table.npy", table.astype(np.float32))
np.save("hidden.npy", hidden.astype(np.float32))


def case(name, weights, out):
    weights = {n: f32(a) for n, a in weights.items()}
    save_safetensors(f"connector_{name}.safetensors", {"connector." + n: a for n, a in weights.items()})
    np.save(f"expected_{name}.npy", np.asarray(out(weights), dtype=np.float64).astype(np.float32))


case("frame-stack-mlp", {"fc1.weight": w(12, 3 * De), "fc1.bias": w(12), "fc2.weight": w(D, 12), "fc2.bias": w(D)},
     lambda p: linear(np.maximum(linear(stack(features, 3), p["fc1.weight"], p["fc1.bias"]), 0), p["fc2.weight"], p["fc2.bias"]))

case("linear", {"proj.weight": w(D, 2 * De), "proj.bias": w(D)},
     lambda p: linear(stack(features, 2), p["proj.weight"], p["proj.bias"]))


def conv(p, k=2):
    cw = p["conv.weight"]                                  # [H, De, k]
    g = T // k
    out = np.zeros((B, g, cw.shape[0]))
    for t in range(g):
        window = features[:, t * k:(t + 1) * k, :]         # [B, k, De]
        out[:, t] = np.einsum("bkd,hdk->bh", window, cw) + p["conv.bias"]
    return linear(gelu(out), p["proj.weight"], p["proj.bias"])


case("conv", {"conv.weight": w(10, De, 2), "conv.bias": w(10), "proj.weight": w(D, 10), "proj.bias": w(D)}, conv)

codebook = features.reshape(-1, De)[rng.choice(B * T, K, replace=False)] + w(K, De, s=0.05)
case("token-mapper", {"codebook": codebook},
     lambda p: pad([table[[V - K + u for u in units(features[b], p["codebook"])]] for b in range(B)]))


def ctc(p, temperature, threshold):
    rows = []
    for b in range(B):
        logits = linear(features[b], p["head.weight"], p["head.bias"])      # [T, V+1]
        probs = softmax(logits)
        post = probs if temperature == 1 else softmax(logits / temperature)
        blank = probs[:, V]
        best = logits[:, :V].argmax(1)
        segs = []
        for t in range(T):
            if blank[t] >= threshold:
                continue
            if t > 0 and best[t - 1] == best[t] and segs and segs[-1][1] == t:
                segs[-1][1] = t + 1
            else:
                segs.append([t, t + 1])
        if not segs:
            least = int(blank.argmin())
            segs = [[least, least + 1]]
        avg = np.zeros((len(segs), T))
        for s, (a, e) in enumerate(segs):
            avg[s, a:e] = 1.0 / (e - a)
        tokens = avg @ post[:, :V]
        tokens = tokens / np.maximum(tokens.sum(1, keepdims=True), 1e-12)
        rows.append(tokens @ table)
    return pad(rows)


head_w, head_b = w(V + 1, De, s=1.0), w(V + 1)
head_b[V] = 1.5                                   # blank often, but not always: some frames dropped, some kept
case("ctc-compress", {"head.weight": head_w, "head.bias": head_b}, lambda p: ctc(p, 1.0, 0.5))
case("ctc-compress-sharp", {"head.weight": head_w, "head.bias": head_b}, lambda p: ctc(p, 0.5, 0.7))

vocab_w = {"codebook": codebook, "embed_tokens": w(K, D), "lm_head": w(K, D)}
case("audio-vocab", vocab_w, lambda p: pad([p["embed_tokens"][units(features[b], p["codebook"])] for b in range(B)]))
np.save("expected_audio-vocab-logits.npy", (hidden @ f32(vocab_w["lm_head"]).T).astype(np.float32))


# ultravox: fixie-ai/ultravox ultravox_model.py StackAudioFrames + UltravoxProjector (swiglu; RMSNorm eps 1e-6).
# Appended last so the cases above keep their random draws.
def rms(x, g, eps=1e-6):
    return g * x / np.sqrt((x * x).mean(-1, keepdims=True) + eps)


def ultravox(p, k, ln_mid):
    b, t, d = features.shape
    pad = (k - t % k) % k
    x = np.concatenate([features, np.zeros((b, pad, d))], 1).reshape(b, (t + pad) // k, k * d)
    h = rms(x, p["ln_pre.weight"]) @ p["linear_1.weight"].T
    half = h.shape[-1] // 2
    x1, gate = h[..., :half], h[..., half:]
    h = x1 * (gate / (1 + np.exp(-gate)))
    if ln_mid:
        h = rms(h, p["ln_mid.weight"])
    h = h @ p["linear_2.weight"].T
    return h if ln_mid else rms(h, p["ln_post.weight"])


case("ultravox", {"ln_pre.weight": 1 + w(3 * De, s=0.1), "linear_1.weight": w(12, 3 * De), "linear_2.weight": w(D, 6),
                  "ln_post.weight": 1 + w(D, s=0.1)}, lambda p: ultravox(p, 3, False))
case("ultravox-ln-mid", {"ln_pre.weight": 1 + w(4 * De, s=0.1), "linear_1.weight": w(10, 4 * De), "ln_mid.weight": 1 + w(5, s=0.1),
                         "linear_2.weight": w(D, 5)}, lambda p: ultravox(p, 4, True))
