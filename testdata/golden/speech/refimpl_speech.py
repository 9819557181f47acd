"""Plain-numpy (float64) ports of the public reference code the speech golden files check.

* LLaMA-Omni ``omni_speech/model/speech_generator/speech_generator.py`` (``SpeechGeneratorCTC``:
  ``upsample`` / ``_uniform_assignment``, ``input_proj``, ``LlamaDecoderLayer`` x N, ``output_proj``,
  ``predict``) and ``generation.py`` (``ctc_postprocess``), with the decoder layers as transformers 4.43.4
  ``modeling_llama.py`` runs them under ``flash_attention_2`` (the attention is causal: ``is_causal=True``;
  the 2-D mask only unpads).
* fairseq ``fairseq/models/text_to_speech/codehifigan.py`` (``CodeGenerator.forward`` with
  ``dur_prediction``), ``hifigan.py`` (``Generator``, ``ResBlock``, ``LRELU_SLOPE``), ``fastspeech2.py``
  (``VariancePredictor``: conv2's padding is 1 whatever the kernel), ``vocoder.py``
  (``CodeHiFiGANVocoder``: ``state_dict["generator"]``, ``remove_weight_norm``).
"""
import math
import numpy as np


# ---------------------------------------------------------------- LLaMA-Omni speech generator

def rms_norm(x, w, eps):
    return w * (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps))


def rope_inv_freq(head_dim, theta, scaling):
    inv = 1.0 / theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    if scaling and scaling.get("rope_type", scaling.get("type")) == "llama3":
        f, lo, hi, old = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"], scaling["original_max_position_embeddings"]
        low_wl, high_wl = old / lo, old / hi
        out = []
        for fr in inv:
            wl = 2 * math.pi / fr
            if wl < high_wl:
                out.append(fr)
            elif wl > low_wl:
                out.append(fr / f)
            else:
                s = (old / wl - lo) / (hi - lo)
                out.append((1 - s) * fr / f + s * fr)
        inv = np.array(out)
    return inv


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def llama_layer(x, p, heads, eps, inv_freq):
    """transformers 4.43 LlamaDecoderLayer on x [T, D], positions 0..T-1, causal attention."""
    t, d = x.shape
    hd = d // heads
    h = rms_norm(x, p["input_layernorm.weight"], eps)
    q = (h @ p["self_attn.q_proj.weight"].T).reshape(t, heads, hd).transpose(1, 0, 2)
    k = (h @ p["self_attn.k_proj.weight"].T).reshape(t, heads, hd).transpose(1, 0, 2)
    v = (h @ p["self_attn.v_proj.weight"].T).reshape(t, heads, hd).transpose(1, 0, 2)
    ang = np.arange(t)[:, None] * inv_freq[None, :]
    emb = np.concatenate([ang, ang], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    s = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
    s = np.where(np.tril(np.ones((t, t), bool)), s, -np.inf)
    s = np.exp(s - s.max(-1, keepdims=True))
    a = (s / s.sum(-1, keepdims=True)) @ v
    x = x + a.transpose(1, 0, 2).reshape(t, d) @ p["self_attn.o_proj.weight"].T
    h = rms_norm(x, p["post_attention_layernorm.weight"], eps)
    g = h @ p["mlp.gate_proj.weight"].T
    u = h @ p["mlp.up_proj.weight"].T
    return x + ((g / (1 + np.exp(-g))) * u) @ p["mlp.down_proj.weight"].T


def uniform_assignment(src_len, tgt_len):
    # speech_generator.py _uniform_assignment: float32 ratio, indices truncated
    ratio = np.float32(tgt_len) / np.float32(src_len)
    return (np.arange(tgt_len, dtype=np.float32) / np.float32(ratio)).astype(np.int64)


def speech_generator(reps, w, cfg):
    """SpeechGeneratorCTC.predict up to the log-probs: reps [T, hidden] -> (log-probs [T*lambda, K+1], upsampled [T*lambda, hidden])."""
    n_layers, n_dims, n_heads, _ = [int(v) for v in cfg["ctc_decoder_config"][1:-1].split(",")]
    up = reps.shape[0] * cfg["ctc_upsample_factor"]
    x = reps[uniform_assignment(reps.shape[0], up)]
    h = x @ w["speech_generator.input_proj.weight"].T + w["speech_generator.input_proj.bias"]
    inv = rope_inv_freq(n_dims // n_heads, cfg["rope_theta"], cfg.get("rope_scaling"))
    for i in range(n_layers):
        pre = "speech_generator.layers.%d." % i
        h = llama_layer(h, {k[len(pre):]: v for k, v in w.items() if k.startswith(pre)}, n_heads, cfg["rms_norm_eps"], inv)
    logits = h @ w["speech_generator.output_proj.weight"].T + w["speech_generator.output_proj.bias"]
    m = logits.max(-1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True)), x


def ctc_postprocess(pred, blank):
    dedup = [v for i, v in enumerate(pred) if i == 0 or v != pred[i - 1]]
    return [v for v in dedup if v != blank]


# ---------------------------------------------------------------- fairseq CodeHiFiGAN

LRELU_SLOPE = 0.1


def leaky(x, slope):
    return np.where(x > 0, x, slope * x)


def conv1d(x, w, b, padding, dilation=1):
    """torch.nn.functional.conv1d on x [C_in, L], w [C_out, C_in, K]."""
    c_out, c_in, k = w.shape
    xp = np.pad(x, ((0, 0), (padding, padding)))
    n = xp.shape[1] - dilation * (k - 1)
    out = np.zeros((c_out, n))
    for j in range(k):
        out += w[:, :, j] @ xp[:, j * dilation: j * dilation + n]
    return out + (b[:, None] if b is not None else 0)


def conv_transpose1d(x, w, b, stride, padding):
    """torch.nn.functional.conv_transpose1d on x [C_in, L], w [C_in, C_out, K]."""
    c_in, c_out, k = w.shape
    L = x.shape[1]
    full = np.zeros((c_out, (L - 1) * stride + k))
    for m in range(L):
        full[:, m * stride: m * stride + k] += np.einsum("i,iok->ok", x[:, m], w)
    out = full[:, padding: full.shape[1] - padding]
    return out + b[:, None]


def fold_weight_norm(g, v):
    """torch.nn.utils.weight_norm (dim=0) removed: w = g * v / ||v|| over every dim but 0."""
    return g * v / np.sqrt((v * v).reshape(v.shape[0], -1).sum(1)).reshape((-1,) + (1,) * (v.ndim - 1))


def layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def durations(code, sd, cfg):
    """VariancePredictor on the unit embeddings, then round(exp(log_dur) - 1) clamped to >= 1."""
    x = sd["dict.weight"][code]                                  # [T, C]
    k = cfg["dur_predictor_params"]["var_pred_kernel_size"]
    h = np.maximum(conv1d(x.T, sd["dur_predictor.conv1.0.weight"], sd["dur_predictor.conv1.0.bias"], (k - 1) // 2), 0).T
    h = layer_norm(h, sd["dur_predictor.ln1.weight"], sd["dur_predictor.ln1.bias"])
    h = np.maximum(conv1d(h.T, sd["dur_predictor.conv2.0.weight"], sd["dur_predictor.conv2.0.bias"], 1), 0).T
    h = layer_norm(h, sd["dur_predictor.ln2.weight"], sd["dur_predictor.ln2.bias"])
    log_dur = h @ sd["dur_predictor.proj.weight"].T[:, 0] + sd["dur_predictor.proj.bias"][0]
    raw = np.exp(log_dur) - 1
    return np.maximum(np.round(raw), 1).astype(np.int64), raw


def folded(sd, name):
    return fold_weight_norm(sd[name + ".weight_g"], sd[name + ".weight_v"])


def code_hifigan(code, sd, cfg, dur_prediction=True):
    """CodeHiFiGANVocoder.forward({"code": code}, dur_prediction) -> waveform [S]."""
    x = sd["dict.weight"][code].T                                # [C, T]
    dur = None
    if dur_prediction and "dur_predictor_params" in cfg:
        dur, _ = durations(code, sd, cfg)
        x = np.repeat(x, dur, axis=1)
    x = conv1d(x, folded(sd, "conv_pre"), sd["conv_pre.bias"], 3)
    nk = len(cfg["resblock_kernel_sizes"])
    for i, (u, k) in enumerate(zip(cfg["upsample_rates"], cfg["upsample_kernel_sizes"])):
        x = leaky(x, LRELU_SLOPE)
        x = conv_transpose1d(x, folded(sd, "ups.%d" % i), sd["ups.%d.bias" % i], u, (k - u) // 2)
        xs = 0
        for j, (rk, dil) in enumerate(zip(cfg["resblock_kernel_sizes"], cfg["resblock_dilation_sizes"])):
            r = "resblocks.%d." % (i * nk + j)
            y = x
            for m, d in enumerate(dil):
                t = leaky(y, LRELU_SLOPE)
                t = conv1d(t, folded(sd, r + "convs1.%d" % m), sd[r + "convs1.%d.bias" % m], (rk * d - d) // 2, d)
                t = leaky(t, LRELU_SLOPE)
                t = conv1d(t, folded(sd, r + "convs2.%d" % m), sd[r + "convs2.%d.bias" % m], (rk - 1) // 2, 1)
                y = t + y
            xs = xs + y
        x = xs / nk
    x = leaky(x, 0.01)                                           # F.leaky_relu's default slope
    x = conv1d(x, folded(sd, "conv_post"), sd["conv_post.bias"], 3)
    return np.tanh(x)[0], dur
