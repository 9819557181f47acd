"""Writes testdata/golden/speech: random-weight checkpoints in the released layouts and the outputs
refimpl_speech.py computes for them. Run from this directory: python3 make_speech.py"""
import collections, json, os, struct
import numpy as np
import refimpl_speech as ref
from torchsave import save as torch_save

rng = np.random.default_rng(20261203)


def write_safetensors(path, tensors):
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


def rnd(*shape, std=0.2):
    return rng.normal(0, std, shape)


# ------------------------------------------------------------- llama-omni-tiny (speech generator)
os.makedirs("llama-omni-tiny", exist_ok=True)
H, V, K, LAM = 16, 32, 20, 3
gen = (2, 24, 3, 40)
cfg = {
    "architectures": ["OmniSpeech2SLlamaForCausalLM"], "model_type": "omni_speech2s_llama",
    "hidden_size": H, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
    "num_key_value_heads": 2, "hidden_act": "silu", "vocab_size": V, "rms_norm_eps": 1e-05,
    "rope_theta": 500000.0,
    "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192},
    "max_position_embeddings": 131072, "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
    "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32",
    "speech_encoder": "models/speech_encoder/large-v3.pt", "speech_encoder_type": "whisper",
    "speech_encoder_ds_rate": 5, "speech_encoder_hidden_size": 1280, "speech_projector_type": "linear",
    "speech_normalize": False, "speech_generator_type": "ctc",
    "ctc_decoder_config": "(%d,%d,%d,%d)" % gen, "ctc_upsample_factor": LAM, "ctc_loss_weight": 1.0,
    "unit_vocab_size": K, "tune_speech_generator_only": True,
}
w = {"model.embed_tokens.weight": rnd(V, H), "model.norm.weight": 1 + rnd(H, std=0.1), "lm_head.weight": rnd(V, H)}
p = "model.layers.0."
for n, s in [("self_attn.q_proj", (H, H)), ("self_attn.k_proj", (H, H)), ("self_attn.v_proj", (H, H)), ("self_attn.o_proj", (H, H)),
             ("mlp.gate_proj", (32, H)), ("mlp.up_proj", (32, H)), ("mlp.down_proj", (H, 32))]:
    w[p + n + ".weight"] = rnd(*s)
w[p + "input_layernorm.weight"] = 1 + rnd(H, std=0.1)
w[p + "post_attention_layernorm.weight"] = 1 + rnd(H, std=0.1)
L, D, NH, F = gen
w["speech_generator.input_proj.weight"] = rnd(D, H, std=0.3)
w["speech_generator.input_proj.bias"] = rnd(D, std=0.05)
for i in range(L):
    p = "speech_generator.layers.%d." % i
    for n, s in [("self_attn.q_proj", (D, D)), ("self_attn.k_proj", (D, D)), ("self_attn.v_proj", (D, D)), ("self_attn.o_proj", (D, D)),
                 ("mlp.gate_proj", (F, D)), ("mlp.up_proj", (F, D)), ("mlp.down_proj", (D, F))]:
        w[p + n + ".weight"] = rnd(*s)
    w[p + "input_layernorm.weight"] = 1 + rnd(D, std=0.1)
    w[p + "post_attention_layernorm.weight"] = 1 + rnd(D, std=0.1)
w["speech_generator.output_proj.weight"] = rnd(K + 1, D, std=0.5)
w["speech_generator.output_proj.bias"] = rnd(K + 1, std=0.05)
w = {k: v.astype(np.float32).astype(np.float64) for k, v in w.items()}   # what the f32 file holds
T = 7
reps = rnd(T, H, std=1.0).astype(np.float32).astype(np.float64)
lp, _ = ref.speech_generator(reps, w, cfg)
pred = lp.argmax(-1)
top2 = np.sort(lp, -1)
assert (top2[:, -1] - top2[:, -2]).min() > 1e-3, "argmax margin too small; change the seed"
with open("llama-omni-tiny/config.json", "w") as f:
    json.dump(cfg, f, indent=2)
write_safetensors("llama-omni-tiny/model.safetensors", w)
npy("llama-omni-tiny/reps.npy", reps)
npy("llama-omni-tiny/expected_log_probs.npy", lp)
with open("llama-omni-tiny/expected.json", "w") as f:
    json.dump({"ctc_pred": pred.tolist(), "units": [int(u) for u in ref.ctc_postprocess(pred.tolist(), K)],
               "min_top1_top2_margin": float((top2[:, -1] - top2[:, -2]).min()), "seed": 20261203}, f, indent=1)

# ------------------------------------------------------------- codehifigan-tiny (unit vocoder)
os.makedirs("codehifigan-tiny", exist_ok=True)
vc = {
    "resblock": "1", "num_embeddings": K, "embedding_dim": 16, "model_in_dim": 16,
    "upsample_rates": [2, 2], "upsample_kernel_sizes": [4, 4], "upsample_initial_channel": 16,
    "resblock_kernel_sizes": [3, 5], "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5]],
    "dur_predictor_params": {"encoder_embed_dim": 16, "var_pred_hidden_dim": 16, "var_pred_kernel_size": 3, "var_pred_dropout": 0.5},
    "sampling_rate": 16000, "code_hop_size": 4,
}
sd = collections.OrderedDict()
def wn(name, shape, gdim):
    sd[name + ".weight_g"] = np.abs(rng.normal(0.8, 0.2, (shape[gdim],) + (1,) * (len(shape) - 1)))
    sd[name + ".weight_v"] = rnd(*shape, std=0.3)
    sd[name + ".bias"] = rnd(shape[1] if gdim == 0 and name.startswith("ups") else shape[0], std=0.05)
C0 = vc["upsample_initial_channel"]
sd["dict.weight"] = rnd(K, 16, std=1.0)
wn("conv_pre", (C0, 16, 7), 0)
for i, (u, k) in enumerate(zip(vc["upsample_rates"], vc["upsample_kernel_sizes"])):
    wn("ups.%d" % i, (C0 // 2 ** i, C0 // 2 ** (i + 1), k), 0)   # ConvTranspose1d weight [in, out, k]; weight_norm dim 0 = in
for i in range(len(vc["upsample_rates"])):
    ch = C0 // 2 ** (i + 1)
    for j, k in enumerate(vc["resblock_kernel_sizes"]):
        r = "resblocks.%d." % (i * 2 + j)
        for m in range(3):
            wn(r + "convs1.%d" % m, (ch, ch, k), 0)
        for m in range(3):
            wn(r + "convs2.%d" % m, (ch, ch, k), 0)
wn("conv_post", (1, ch, 7), 0)
sd["dur_predictor.conv1.0.weight"] = rnd(16, 16, 3, std=0.3); sd["dur_predictor.conv1.0.bias"] = rnd(16, std=0.05)
sd["dur_predictor.ln1.weight"] = 1 + rnd(16, std=0.1); sd["dur_predictor.ln1.bias"] = rnd(16, std=0.05)
sd["dur_predictor.conv2.0.weight"] = rnd(16, 16, 3, std=0.3); sd["dur_predictor.conv2.0.bias"] = rnd(16, std=0.05)
sd["dur_predictor.ln2.weight"] = 1 + rnd(16, std=0.1); sd["dur_predictor.ln2.bias"] = rnd(16, std=0.05)
sd["dur_predictor.proj.weight"] = rnd(1, 16, std=0.4); sd["dur_predictor.proj.bias"] = np.array([1.0])
for k in sd:
    sd[k] = sd[k].astype(np.float32).astype(np.float64)
code = rng.integers(0, K, 24)
code = np.array([c for i, c in enumerate(code) if i == 0 or c != code[i - 1]])   # deduplicated, as CTC emits them
wav, dur = ref.code_hifigan(code, sd, vc, True)
_, raw = ref.durations(code, sd, vc)
assert np.abs(raw - np.floor(raw) - 0.5)[raw > 0.5].min() > 1e-4, "a duration is too close to a rounding tie; change the seed"
wav_nodur, _ = ref.code_hifigan(code, sd, vc, False)
with open("codehifigan-tiny/config.json", "w") as f:
    json.dump(vc, f, indent=2)

def as_dict(plain):
    def build(t):
        g = {} if plain else collections.OrderedDict()
        for k, v in sd.items():
            g[k] = t(v)
        if not plain:                       # what nn.Module.state_dict() returns: an OrderedDict with _metadata
            md = collections.OrderedDict()
            for m in [""] + sorted({k.rsplit(".", 1)[0] for k in sd}):
                md[m] = {"version": 1}
            g._metadata = md
        return {"generator": g}
    return build
torch_save(as_dict(True), "codehifigan-tiny/g_00000000.pt")
torch_save(as_dict(False), "codehifigan-tiny/g_00000000_state_dict.pt")
npy("codehifigan-tiny/expected_wav.npy", wav)
npy("codehifigan-tiny/expected_wav_no_dur.npy", wav_nodur)
with open("codehifigan-tiny/expected.json", "w") as f:
    json.dump({"code": code.tolist(), "durations": dur.tolist(), "raw_durations": raw.tolist(),
               "samples": int(wav.shape[0]), "seed": 20261203}, f, indent=1)
print("speech generator: log-probs", lp.shape, "units", ref.ctc_postprocess(pred.tolist(), K))
print("vocoder: code", code.tolist(), "durations", dur.tolist(), "wav", wav.shape, "max|wav|", np.abs(wav).max())

# ------------------------------------------------------------- llama-omni-tiny, end to end from token ids
# (drawn last so the files above do not change). The LLM's final-normed hidden states of a prompt and an
# answer; the speech generator reads the states that predicted the answer tokens, as generate() does:
# the prompt's last position, then each answer token but the last.
ids = rng.integers(3, V, 12)
P = 5
h = w["model.embed_tokens.weight"][ids]
inv_llm = ref.rope_inv_freq(H // cfg["num_attention_heads"], cfg["rope_theta"], cfg["rope_scaling"])
h = ref.llama_layer(h, {k[len("model.layers.0."):]: v for k, v in w.items() if k.startswith("model.layers.0.")},
                    cfg["num_attention_heads"], cfg["rms_norm_eps"], inv_llm)
hidden = ref.rms_norm(h, w["model.norm.weight"], cfg["rms_norm_eps"])
states = hidden[P - 1: len(ids) - 1]
lp2, _ = ref.speech_generator(states, w, cfg)
npy("llama-omni-tiny/expected_llm_hidden.npy", hidden)
npy("llama-omni-tiny/expected_log_probs_from_ids.npy", lp2)
with open("llama-omni-tiny/expected_from_ids.json", "w") as f:
    json.dump({"input_ids": ids.tolist(), "prompt_length": P,
               "units": [int(u) for u in ref.ctc_postprocess(lp2.argmax(-1).tolist(), K)]}, f, indent=1)
print("from ids: states", states.shape, "units", ref.ctc_postprocess(lp2.argmax(-1).tolist(), K))
