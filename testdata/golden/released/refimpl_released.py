"""Plain-numpy (float64) ports of the public reference code the `released` golden files check.

* openai/whisper ``whisper/audio.py`` (``pad_or_trim``, ``log_mel_spectrogram``) and ``whisper/model.py``
  (``AudioEncoder``, ``ResidualAttentionBlock``, ``MultiHeadAttention.qkv_attention``: q and k each scaled by
  head_dim^-0.25; ``sinusoids``), the encoder LLaMA-Omni wraps (``speech_encoder.py``: openai's LayerNorm
  swapped for ``nn.LayerNorm``, same eps 1e-5). Hugging Face's ``WhisperEncoder`` (``modeling_whisper.py``)
  computes the same function under other names; Ultravox's ``ModifiedWhisperEncoder`` slices the positions
  to the input's length instead of padding to 30 s.
* ictnlp/LLaMA-Omni ``omni_speech/model/speech_projector/speech_projector.py`` (``EncoderProjectorConcat``),
  ``omni_speech/model/omni_speech_arch.py`` (``encode_speech``, ``prepare_inputs_labels_for_speech_and_text``:
  the projected rows spliced where ``SPEECH_TOKEN_INDEX`` stands), ``omni_speech/datasets/preprocess.py``
  (``tokenizer_speech_token``) and ``omni_speech/conversation.py`` (``conv_llama_3.get_prompt``).
* fixie-ai/ultravox ``ultravox/model/ultravox_model.py`` (``StackAudioFrames``, ``UltravoxProjector``,
  ``RMSNorm`` eps 1e-6, ``SwiGLU``: ``x, gate = chunk(2)``; ``silu(gate) * x``; ``_prepare_audio_embeds``) and
  ``ultravox_processing.py`` (``UltravoxProcessor.__call__``: no 30 s padding, ``audio_token_len =
  ceil(frames / (2 * stack_factor))``, the text split at ``<|audio|>`` and tokenized without special tokens).
* transformers ``modeling_llama.py`` (``LlamaForCausalLM``: the layers as ``../speech/refimpl_speech.py``'s
  ``llama_layer`` with grouped-query attention added here, final RMSNorm, LM head).
"""
import math
import numpy as np

# ------------------------------------------------------------------ openai/whisper audio.py

SAMPLE_RATE, N_FFT, HOP = 16000, 400, 160
N_SAMPLES = 30 * SAMPLE_RATE


def pad_or_trim(audio, length=N_SAMPLES):
    return audio[:length] if len(audio) > length else np.pad(audio, (0, length - len(audio)))


def log_mel_spectrogram(audio, filters):
    x = np.pad(audio.astype(np.float64), (N_FFT // 2, N_FFT // 2), mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)          # periodic Hann
    frames = 1 + (len(x) - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    stft = np.fft.rfft(window[None, :] * x[idx], axis=1).T                      # [201, frames]
    power = np.abs(stft[:, :-1]) ** 2
    log = np.log10(np.maximum(filters.astype(np.float64) @ power, 1e-10))
    log = np.maximum(log, log.max() - 8.0)
    return (log + 4.0) / 4.0                                                     # [n_mels, frames]


# ------------------------------------------------------------------ openai/whisper model.py

def sinusoids(length, channels, max_timescale=10000):
    inc = np.log(max_timescale) / (channels // 2 - 1)
    inv = np.exp(-inc * np.arange(channels // 2))
    t = np.arange(length)[:, None] * inv[None, :]
    return np.concatenate([np.sin(t), np.cos(t)], axis=1)


def gelu(x):
    from math import erf
    return 0.5 * x * (1 + np.vectorize(erf)(x / math.sqrt(2)))


def layer_norm(x, w, b, eps=1e-5):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def conv1d(x, w, b, stride=1, pad=1):
    """x [C_in, T], w [C_out, C_in, K] -> [C_out, T_out] (torch Conv1d)."""
    k = w.shape[2]
    xp = np.pad(x, ((0, 0), (pad, pad)))
    t_out = (xp.shape[1] - k) // stride + 1
    cols = np.stack([xp[:, j:j + stride * (t_out - 1) + 1:stride] for j in range(k)], axis=2)  # [C_in, T_out, K]
    return np.einsum("ctk,ock->ot", cols, w) + b[:, None]


def audio_encoder(mel, sd, n_head, prefix="encoder.", slice_positions=False):
    """openai AudioEncoder.forward on mel [n_mels, F] with openai-whisper names; -> [F/2, n_state].
    slice_positions: Ultravox's ModifiedWhisperEncoder (positions [:T]) instead of openai's 30 s assert."""
    g = lambda n: sd[prefix + n]
    x = gelu(conv1d(mel, g("conv1.weight"), g("conv1.bias")))
    x = gelu(conv1d(x, g("conv2.weight"), g("conv2.bias"), stride=2)).T         # [T, D]
    pos = g("positional_embedding")
    assert slice_positions or x.shape == pos.shape, "incorrect audio shape"
    x = x + pos[:x.shape[0]]
    d = x.shape[1]
    hd = d // n_head
    i = 0
    while prefix + "blocks.%d.attn.query.weight" % i in sd:
        b = lambda n: sd[prefix + "blocks.%d.%s" % (i, n)]
        h = layer_norm(x, b("attn_ln.weight"), b("attn_ln.bias"))
        q = h @ b("attn.query.weight").T + b("attn.query.bias")
        k = h @ b("attn.key.weight").T
        v = h @ b("attn.value.weight").T + b("attn.value.bias")
        scale = hd ** -0.25
        q = (q.reshape(-1, n_head, hd) * scale).transpose(1, 0, 2)
        k = (k.reshape(-1, n_head, hd) * scale).transpose(1, 0, 2)
        v = v.reshape(-1, n_head, hd).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1)
        s = np.exp(s - s.max(-1, keepdims=True))
        a = ((s / s.sum(-1, keepdims=True)) @ v).transpose(1, 0, 2).reshape(-1, d)
        x = x + a @ b("attn.out.weight").T + b("attn.out.bias")
        h = layer_norm(x, b("mlp_ln.weight"), b("mlp_ln.bias"))
        x = x + gelu(h @ b("mlp.0.weight").T + b("mlp.0.bias")) @ b("mlp.2.weight").T + b("mlp.2.bias")
        i += 1
    return layer_norm(x, g("ln_post.weight"), g("ln_post.bias"))


HF_TO_OPENAI = [("layers.", "blocks."), ("self_attn_layer_norm", "attn_ln"), ("self_attn.q_proj", "attn.query"),
                ("self_attn.k_proj", "attn.key"), ("self_attn.v_proj", "attn.value"), ("self_attn.out_proj", "attn.out"),
                ("final_layer_norm", "mlp_ln"), ("fc1", "mlp.0"), ("fc2", "mlp.2"), ("layer_norm", "ln_post"),
                ("embed_positions.weight", "positional_embedding")]


def hf_to_openai(sd, prefix="model.encoder."):
    """HF WhisperEncoder names -> openai-whisper's (the same function: modeling_whisper.py vs model.py)."""
    out = {}
    for n, v in sd.items():
        if not n.startswith(prefix):
            continue
        m = n[len(prefix):]
        for a, b in HF_TO_OPENAI:
            m = m.replace(a, b)
        out["encoder." + m] = v
    return out


# ------------------------------------------------------------------ LLaMA-Omni

def encoder_projector_concat(x, sd, k):
    """speech_projector.py EncoderProjectorConcat.forward on x [T, De] -> [T // k, D]."""
    t = x.shape[0] - x.shape[0] % k
    x = x[:t].reshape(t // k, -1)
    h = np.maximum(x @ sd["speech_projector.linear1.weight"].T + sd["speech_projector.linear1.bias"], 0)
    return h @ sd["speech_projector.linear2.weight"].T + sd["speech_projector.linear2.bias"]


def conv_llama_3(system, user):
    """conversation.py conv_llama_3 with the user message and an empty assistant turn: get_prompt()."""
    ret = "<|begin_of_text|>" + ("<|start_header_id|>system<|end_header_id|>\n\n%s<|eot_id|>" % system if system else "")
    ret += "<|start_header_id|>user<|end_header_id|>\n\n" + user.strip() + "<|eot_id|>"
    return ret + "<|start_header_id|>assistant<|end_header_id|>\n\n"


def tokenizer_speech_token(prompt, tokenize, bos_id, speech_token_index=-200):
    """preprocess.py tokenizer_speech_token; tokenize(text) must add BOS as the HF Llama-3 tokenizer does."""
    chunks = [tokenize(c) for c in prompt.split("<speech>")]
    ids, offset = [], 0
    if chunks and chunks[0] and chunks[0][0] == bos_id:
        offset = 1
        ids.append(chunks[0][0])
    seps = [e for sub in zip(chunks, [[speech_token_index] * (offset + 1)] * len(chunks)) for e in sub][:-1]
    for x in seps:
        ids.extend(x[offset:])
    return ids


# ------------------------------------------------------------------ Ultravox

def rms_norm(x, w, eps):
    return w * (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps))


def ultravox_projector(x, sd, stack, ln_mid, p="multi_modal_projector."):
    """UltravoxProjector.forward on x [T, C] -> [ceil(T / stack), D]."""
    t = x.shape[0]
    tp = (t + stack - 1) // stack * stack
    x = np.pad(x, ((0, tp - t), (0, 0))).reshape(tp // stack, -1)                 # StackAudioFrames
    h = rms_norm(x, sd[p + "ln_pre.weight"], 1e-6) @ sd[p + "linear_1.weight"].T
    a, gate = np.split(h, 2, axis=-1)                                              # SwiGLU
    h = gate / (1 + np.exp(-gate)) * a
    if ln_mid:
        h = rms_norm(h, sd[p + "ln_mid.weight"], 1e-6)
    h = h @ sd[p + "linear_2.weight"].T
    return h if ln_mid else rms_norm(h, sd[p + "ln_post.weight"], 1e-6)


# ------------------------------------------------------------------ transformers Llama

def rope_inv_freq(head_dim, theta, scaling):
    inv = 1.0 / theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    if scaling and scaling.get("rope_type", scaling.get("type")) == "llama3":
        f, lo, hi, old = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"], scaling["original_max_position_embeddings"]
        out = []
        for fr in inv:
            wl = 2 * math.pi / fr
            if wl < old / hi:
                out.append(fr)
            elif wl > old / lo:
                out.append(fr / f)
            else:
                s = (old / wl - lo) / (hi - lo)
                out.append((1 - s) * fr / f + s * fr)
        inv = np.array(out)
    return inv


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def llama(x, sd, cfg):
    """LlamaModel on input embeddings x [T, D] (positions 0..T-1) -> (final-normed hidden [T, D], logits [T, V])."""
    t, d = x.shape
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, eps = d // nh, cfg["rms_norm_eps"]
    inv = rope_inv_freq(hd, cfg["rope_theta"], cfg.get("rope_scaling"))
    ang = np.arange(t)[:, None] * inv[None, :]
    cos, sin = np.cos(np.concatenate([ang, ang], -1)), np.sin(np.concatenate([ang, ang], -1))
    mask = np.tril(np.ones((t, t), bool))
    for i in range(cfg["num_hidden_layers"]):
        p = lambda n: sd["model.layers.%d.%s" % (i, n)]
        h = rms_norm(x, p("input_layernorm.weight"), eps)
        q = (h @ p("self_attn.q_proj.weight").T).reshape(t, nh, hd).transpose(1, 0, 2)
        k = (h @ p("self_attn.k_proj.weight").T).reshape(t, nkv, hd).transpose(1, 0, 2)
        v = (h @ p("self_attn.v_proj.weight").T).reshape(t, nkv, hd).transpose(1, 0, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = np.repeat(k, nh // nkv, axis=0), np.repeat(v, nh // nkv, axis=0)   # repeat_kv
        s = np.where(mask, q @ k.transpose(0, 2, 1) / math.sqrt(hd), -np.inf)
        s = np.exp(s - s.max(-1, keepdims=True))
        a = ((s / s.sum(-1, keepdims=True)) @ v).transpose(1, 0, 2).reshape(t, d)
        x = x + a @ p("self_attn.o_proj.weight").T
        h = rms_norm(x, p("post_attention_layernorm.weight"), eps)
        g, u = h @ p("mlp.gate_proj.weight").T, h @ p("mlp.up_proj.weight").T
        x = x + (g / (1 + np.exp(-g)) * u) @ p("mlp.down_proj.weight").T
    h = rms_norm(x, sd["model.norm.weight"], eps)
    head = sd["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else sd["lm_head.weight"]
    return h, h @ head.T
