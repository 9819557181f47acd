"""Writes testdata/golden/released: random-weight speech LLMs in the layouts LLaMA-Omni and Ultravox publish,
and what refimpl_released.py (plain numpy, float64) computes for them. NumPy only, no torch.
Run from this directory: python3 make_released.py   (Python 3.11; seed numpy.random.default_rng(20261204))

llama-omni-full/            LLaMA-Omni's Hugging Face directory (Llama-3.1-8B-Omni's layout, tiny)
models/speech_encoder/      openai-whisper checkpoints (whisper.load_model's format) as config.json's
                            speech_encoder "models/speech_encoder/large-v3.pt" finds them from LLaMA-Omni's repo root
vocoder/                    fairseq's unit HiFi-GAN where LLaMA-Omni's README puts it (../speech/codehifigan-tiny)
ultravox-tiny/              an Ultravox release: config.json + multi_modal_projector.* + tokenizer
ultravox-tiny/audio, text/  the audio and text models its audio_model_id / text_model_id name (local stand-ins)
ultravox-full/              the same model saved whole (embedded configs, audio_tower.* and language_model.*)
"""
import collections, json, os, shutil, struct, sys, wave
import numpy as np
import refimpl_released as ref

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "speech"))
from torchsave import save as torch_save  # noqa: E402

SEED = 20261204
rng = np.random.default_rng(SEED)
MEL_128 = np.load(os.path.join("..", "..", "..", "assets", "whisper", "mel_128.npy"))


def rnd(*shape, std=0.2):
    return rng.normal(0, std, shape)


def f32(d):
    return {k: np.asarray(v, np.float32).astype(np.float64) for k, v in d.items()}


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


def dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


# ------------------------------------------------------------------ a Llama-3-style byte-level tokenizer
SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
            "<|reserved_special_token_0|>", "<|reserved_special_token_1|>", "<|reserved_special_token_2|>"]
V = 256 + len(SPECIALS)
BOS, EOS, EOT = 256, 257, 260


def bytes_to_unicode():  # GPT-2's byte <-> printable character map (tokenizers' ByteLevel)
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return dict(zip(bs, map(chr, cs)))


def encode(text, add_bos):
    """What the tokenizer below gives: specials whole, every other byte one token (no merges)."""
    ids = [BOS] if add_bos else []
    i = 0
    while i < len(text):
        for k, s in enumerate(SPECIALS):
            if text.startswith(s, i):
                ids.append(256 + k); i += len(s); break
        else:
            ids.extend(text[i].encode("utf-8")); i += 1
    return ids


def tokenizer_json():
    b2u = bytes_to_unicode()
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [{"id": 256 + k, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                              "normalized": False, "special": True} for k, s in enumerate(SPECIALS)],
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                               "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                        {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                               "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [BOS], "tokens": ["<|begin_of_text|>"]}}},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                      "vocab": {b2u[b]: b for b in range(256)}, "merges": []}}


# Meta-Llama-3-8B-Instruct's chat template (also Ultravox's assets/hf/Meta-Llama-3-8B-Instruct)
LLAMA3_TEMPLATE = ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
                   "message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
                   "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
                   "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")


def llama3_render(messages):  # that template in Python, for the messages used here
    out = ""
    for i, m in enumerate(messages):
        c = "<|start_header_id|>" + m["role"] + "<|end_header_id|>\n\n" + m["content"].strip() + "<|eot_id|>"
        out += ("<|begin_of_text|>" if i == 0 else "") + c
    return out + "<|start_header_id|>assistant<|end_header_id|>\n\n"


def write_tokenizer(d):
    dump(os.path.join(d, "tokenizer.json"), tokenizer_json())
    dump(os.path.join(d, "tokenizer_config.json"), {
        "added_tokens_decoder": {str(256 + k): {"content": s, "lstrip": False, "normalized": False, "rstrip": False,
                                                "single_word": False, "special": True} for k, s in enumerate(SPECIALS)},
        "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "chat_template": LLAMA3_TEMPLATE,
        "clean_up_tokenization_spaces": True, "model_input_names": ["input_ids", "attention_mask"],
        "model_max_length": 131072, "tokenizer_class": "PreTrainedTokenizerFast"})
    dump(os.path.join(d, "special_tokens_map.json"), {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"})


def llama_weights(h, layers, heads, kv, ffn, tied):
    hd = h // heads
    w = {"model.embed_tokens.weight": rnd(V, h, std=0.5), "model.norm.weight": 1 + rnd(h, std=0.1)}
    if not tied:
        w["lm_head.weight"] = rnd(V, h, std=0.5)
    for i in range(layers):
        p = "model.layers.%d." % i
        for n, s in [("self_attn.q_proj", (heads * hd, h)), ("self_attn.k_proj", (kv * hd, h)), ("self_attn.v_proj", (kv * hd, h)),
                     ("self_attn.o_proj", (h, heads * hd)), ("mlp.gate_proj", (ffn, h)), ("mlp.up_proj", (ffn, h)), ("mlp.down_proj", (h, ffn))]:
            w[p + n + ".weight"] = rnd(*s, std=0.3)
        w[p + "input_layernorm.weight"] = 1 + rnd(h, std=0.1)
        w[p + "post_attention_layernorm.weight"] = 1 + rnd(h, std=0.1)
    return w


def llama_config(arch, h, layers, heads, kv, ffn, tied, scaling):
    return {"architectures": [arch], "model_type": "llama", "hidden_size": h, "intermediate_size": ffn,
            "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv, "hidden_act": "silu",
            "vocab_size": V, "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "rope_scaling": scaling,
            "max_position_embeddings": 131072, "tie_word_embeddings": tied, "attention_bias": False, "mlp_bias": False,
            "bos_token_id": BOS, "eos_token_id": [EOS, EOT], "torch_dtype": "float32"}


def whisper_encoder_weights(d, layers, n_mels):
    """openai-whisper names (model.py), encoder only."""
    w = {"encoder.conv1.weight": rnd(d, n_mels, 3, std=0.1), "encoder.conv1.bias": rnd(d, std=0.05),
         "encoder.conv2.weight": rnd(d, d, 3, std=0.1), "encoder.conv2.bias": rnd(d, std=0.05),
         "encoder.positional_embedding": ref.sinusoids(1500, d),
         "encoder.ln_post.weight": 1 + rnd(d, std=0.1), "encoder.ln_post.bias": rnd(d, std=0.05)}
    for i in range(layers):
        p = "encoder.blocks.%d." % i
        for n in ["attn.query", "attn.value", "attn.out"]:
            w[p + n + ".weight"] = rnd(d, d)
            w[p + n + ".bias"] = rnd(d, std=0.05)
        w[p + "attn.key.weight"] = rnd(d, d)
        w[p + "mlp.0.weight"], w[p + "mlp.0.bias"] = rnd(4 * d, d), rnd(4 * d, std=0.05)
        w[p + "mlp.2.weight"], w[p + "mlp.2.bias"] = rnd(d, 4 * d), rnd(d, std=0.05)
        for n in ["attn_ln", "mlp_ln"]:
            w[p + n + ".weight"], w[p + n + ".bias"] = 1 + rnd(d, std=0.1), rnd(d, std=0.05)
    return w


# ------------------------------------------------------------------ the question: 1 s of 16 kHz PCM16
n = 16000
t = np.arange(n) / 16000.0
sig = 0.3 * np.sin(2 * np.pi * (220 + 400 * t) * t) * np.hanning(n) + 0.05 * rng.normal(0, 1, n)
pcm = np.clip(np.round(sig * 32767), -32768, 32767).astype("<i2")
with wave.open("question.wav", "wb") as f:
    f.setnchannels(1); f.setsampwidth(2); f.setframerate(16000); f.writeframes(pcm.tobytes())
audio = pcm.astype(np.float64) / 32768.0

# ------------------------------------------------------------------ LLaMA-Omni
OMNI_SYSTEM = ("You are a helpful language and speech assistant. You are able to understand the speech content that the user "
               "provides, and assist the user with a variety of tasks using natural language.")
OMNI_USER = "<speech>\nPlease directly answer the questions in the user's speech."
DE, ENC_LAYERS, ENC_HEADS, K, PROJ = 32, 2, 2, 5, 64
H, LAYERS, HEADS, KV, FFN = 16, 2, 2, 1, 32
UNITS, GEN = 20, (1, 16, 2, 32)

enc_sd = f32({k: np.asarray(v, np.float16) for k, v in whisper_encoder_weights(DE, ENC_LAYERS, 128).items()})  # what the f16 file holds
dims = {"n_mels": 128, "n_audio_ctx": 1500, "n_audio_state": DE, "n_audio_head": ENC_HEADS, "n_audio_layer": ENC_LAYERS,
        "n_vocab": 51866, "n_text_ctx": 448, "n_text_state": DE, "n_text_head": ENC_HEADS, "n_text_layer": 0}
os.makedirs("models/speech_encoder", exist_ok=True)
# model_state_dict as a plain dict (libtorch's unpickler reads it) ...
torch_save(lambda tn: {"dims": dict(dims), "model_state_dict": {k: tn(v) for k, v in enc_sd.items()}},
           "models/speech_encoder/large-v3.pt", half=True)
# ... and as whisper's checkpoints hold it: model.state_dict(), an OrderedDict with _metadata (libtorch reads None)
def as_released(tn):
    sd = collections.OrderedDict((k, tn(v)) for k, v in enc_sd.items())
    md = collections.OrderedDict(); md[""] = {"version": 1}; md["encoder"] = {"version": 1}
    sd._metadata = md
    return {"dims": dict(dims), "model_state_dict": sd}
torch_save(as_released, "models/speech_encoder/large-v3-state_dict.pt", half=True)

scaling = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
cfg = llama_config("OmniSpeech2SLlamaForCausalLM", H, LAYERS, HEADS, KV, FFN, False, scaling)
cfg.update({"model_type": "omni_speech2s_llama", "speech_encoder": "models/speech_encoder/large-v3.pt", "speech_encoder_type": "whisper",
            "speech_encoder_ds_rate": K, "speech_encoder_hidden_size": DE, "speech_projector_type": "linear", "speech_normalize": False,
            "speech_generator_type": "ctc", "ctc_decoder_config": "(%d,%d,%d,%d)" % GEN, "ctc_upsample_factor": 2, "ctc_loss_weight": 1.0,
            "unit_vocab_size": UNITS, "tune_speech_generator_only": True, "tokenizer_model_max_length": 2048,
            "tokenizer_padding_side": "right", "use_cache": True})
w = llama_weights(H, LAYERS, HEADS, KV, FFN, tied=False)
w["speech_projector.linear1.weight"] = rnd(PROJ, DE * K, std=0.2)
w["speech_projector.linear1.bias"] = rnd(PROJ, std=0.05)
w["speech_projector.linear2.weight"] = rnd(H, PROJ, std=0.3)
w["speech_projector.linear2.bias"] = rnd(H, std=0.05)
gl, gd, gh, gf = GEN
w["speech_generator.input_proj.weight"], w["speech_generator.input_proj.bias"] = rnd(gd, H), rnd(gd, std=0.05)
for i in range(gl):
    p = "speech_generator.layers.%d." % i
    for nme, s in [("self_attn.q_proj", (gd, gd)), ("self_attn.k_proj", (gd, gd)), ("self_attn.v_proj", (gd, gd)), ("self_attn.o_proj", (gd, gd)),
                   ("mlp.gate_proj", (gf, gd)), ("mlp.up_proj", (gf, gd)), ("mlp.down_proj", (gd, gf))]:
        w[p + nme + ".weight"] = rnd(*s)
    w[p + "input_layernorm.weight"], w[p + "post_attention_layernorm.weight"] = 1 + rnd(gd, std=0.1), 1 + rnd(gd, std=0.1)
w["speech_generator.output_proj.weight"], w["speech_generator.output_proj.bias"] = rnd(UNITS + 1, gd, std=0.5), rnd(UNITS + 1, std=0.05)
w = f32(w)
od = "llama-omni-full"
os.makedirs(od, exist_ok=True)
dump(os.path.join(od, "config.json"), cfg)
dump(os.path.join(od, "generation_config.json"), {"bos_token_id": BOS, "eos_token_id": [EOS, EOT], "do_sample": True, "temperature": 0.6, "top_p": 0.9})
write_safetensors(os.path.join(od, "model.safetensors"), w)
write_tokenizer(od)

# infer.py: whisper.pad_or_trim, log_mel_spectrogram(n_mels=128); encode_speech: encoder, lengths (3000 + 1) // 2 // k
mel = ref.log_mel_spectrogram(ref.pad_or_trim(audio), MEL_128)                   # [128, 3000]
enc = ref.audio_encoder(mel, enc_sd, ENC_HEADS)                                  # [1500, DE]
speech = ref.encoder_projector_concat(enc, w, K)[: (3000 + 1) // 2 // K]         # [300, H]
prompt = ref.conv_llama_3(OMNI_SYSTEM, OMNI_USER)
ids = ref.tokenizer_speech_token(prompt, lambda s: encode(s, add_bos=True), BOS)
slot = ids.index(-200)
x = np.concatenate([w["model.embed_tokens.weight"][ids[:slot]], speech, w["model.embed_tokens.weight"][ids[slot + 1:]]])
hidden, logits = ref.llama(x, w, cfg)
npy(os.path.join(od, "expected_speech_embeddings.npy"), speech)
npy(os.path.join(od, "expected_hidden.npy"), hidden)
npy(os.path.join(od, "expected_logits_tail.npy"), logits[-8:])
dump(os.path.join(od, "expected.json"), {
    "prompt": prompt, "input_ids": ids, "speech_rows": int(speech.shape[0]), "positions": int(x.shape[0]),
    "logits_tail_rows": 8, "argmax_last": int(logits[-1].argmax()), "audio": "../question.wav", "seed": SEED})

shutil.rmtree("vocoder", ignore_errors=True)
os.makedirs("vocoder")
shutil.copy("../speech/codehifigan-tiny/config.json", "vocoder/config.json")
shutil.copy("../speech/codehifigan-tiny/g_00000000.pt", "vocoder/g_00500000")

# ------------------------------------------------------------------ Ultravox
UD, UL, UH, UF = 16, 2, 2, 64          # audio tower (HF Whisper, 128 mels as large-v3-turbo)
TH, TL, TN, TKV, TF = 32, 2, 4, 2, 64  # text model (Llama-3.2-style, tied)
STACK, UHID = 8, 64
ud = "ultravox-tiny"
for sub in ["audio", "text"]:
    os.makedirs(os.path.join(ud, sub), exist_ok=True)
aw = f32(whisper_encoder_weights(UD, UL, 128))
inv = {}
for nm, v in aw.items():  # openai names -> HF WhisperModel names
    m = nm[len("encoder."):]
    for a, b in ref.HF_TO_OPENAI:
        m = m.replace(b, a)
    inv["model.encoder." + m] = v
assert set(ref.hf_to_openai(inv)) == set(aw)
write_safetensors(os.path.join(ud, "audio", "model.safetensors"), inv)
dump(os.path.join(ud, "audio", "config.json"), {
    "architectures": ["WhisperForConditionalGeneration"], "model_type": "whisper", "d_model": UD, "encoder_layers": UL,
    "encoder_attention_heads": UH, "encoder_ffn_dim": 4 * UD, "decoder_layers": 0, "decoder_attention_heads": UH,
    "decoder_ffn_dim": 4 * UD, "num_mel_bins": 128, "max_source_positions": 1500, "max_target_positions": 448,
    "activation_function": "gelu", "vocab_size": 51866, "torch_dtype": "float32"})
dump(os.path.join(ud, "audio", "preprocessor_config.json"), {
    "feature_extractor_type": "WhisperFeatureExtractor", "feature_size": 128, "hop_length": 160, "n_fft": 400,
    "n_samples": 480000, "nb_max_frames": 3000, "chunk_length": 30, "padding_side": "right", "padding_value": 0.0,
    "return_attention_mask": False, "sampling_rate": 16000})
tscale = {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
tcfg = llama_config("LlamaForCausalLM", TH, TL, TN, TKV, TF, True, tscale)
tw = f32(llama_weights(TH, TL, TN, TKV, TF, tied=True))
dump(os.path.join(ud, "text", "config.json"), tcfg)
write_safetensors(os.path.join(ud, "text", "model.safetensors"), tw)
write_tokenizer(os.path.join(ud, "text"))
pw = f32({"multi_modal_projector.ln_pre.weight": 0.4 + rnd(UD * STACK, std=0.05),
          "multi_modal_projector.linear_1.weight": rnd(UHID, UD * STACK, std=0.2),
          "multi_modal_projector.ln_mid.weight": 0.4 + rnd(UHID // 2, std=0.05),
          "multi_modal_projector.linear_2.weight": rnd(TH, UHID // 2, std=0.3)})
write_safetensors(os.path.join(ud, "model.safetensors"), pw)
write_tokenizer(ud)
dump(os.path.join(ud, "config.json"), {
    "architectures": ["UltravoxModel"], "auto_map": {"AutoConfig": "ultravox_config.UltravoxConfig", "AutoModel": "ultravox_model.UltravoxModel"},
    "model_type": "ultravox", "audio_model_id": "openai/whisper-large-v3-turbo", "text_model_id": "meta-llama/Llama-3.2-1B-Instruct",
    "audio_latency_block_size": None, "hidden_size": UHID, "ignore_index": -100, "llm_only_training": False, "norm_init": 0.4,
    "projector_act": "swiglu", "projector_ln_mid": True, "stack_factor": STACK, "torch_dtype": "float32",
    "transformers_version": "4.47.0", "vocab_size": V,
    "audio_model_lora_config": {"lora_alpha": 8, "r": 0, "target_modules": ["k_proj", "q_proj", "linear_k", "linear_q"]},
    "text_model_lora_config": {"lora_alpha": 8, "r": 0, "target_modules": ["k_proj", "q_proj", "linear_k", "linear_q"]}})

# UltravoxProcessor: WhisperFeatureExtractor without 30 s padding (pad_to_multiple_of hop), audio_lens = frames,
# audio_token_len = ceil(frames / (2 * stack)); ModifiedWhisperEncoder slices positions; projector; rows [:token_len]
umel = ref.log_mel_spectrogram(audio, MEL_128)                                   # [128, 100]
uenc = ref.audio_encoder(umel, ref.hf_to_openai(inv), UH, slice_positions=True)  # [50, UD]
token_len = -(-umel.shape[1] // (2 * STACK))
uspeech = ref.ultravox_projector(uenc, pw, STACK, ln_mid=True)[:token_len]       # [7, TH]
text = llama3_render([{"role": "user", "content": "<|audio|>"}])
parts = [encode(s, add_bos=False) for s in text.split("<|audio|>")]
uids = parts[0] + [EOT] * token_len + parts[1]            # the processor's input_ids: the audio as eos placeholders
ux = np.concatenate([tw["model.embed_tokens.weight"][parts[0]], uspeech, tw["model.embed_tokens.weight"][parts[1]]])
uhidden, ulogits = ref.llama(ux, tw, tcfg)
npy(os.path.join(ud, "expected_speech_embeddings.npy"), uspeech)
npy(os.path.join(ud, "expected_hidden.npy"), uhidden)
npy(os.path.join(ud, "expected_logits_tail.npy"), ulogits[-8:])
dump(os.path.join(ud, "expected.json"), {
    "prompt": text, "input_ids": uids, "audio_token_start_idx": len(parts[0]), "audio_token_len": int(token_len),
    "positions": int(ux.shape[0]), "logits_tail_rows": 8, "argmax_last": int(ulogits[-1].argmax()),
    "audio": "../question.wav", "seed": SEED})

# ------------------------------------------------------------------ Ultravox, a full checkpoint
# the same model saved whole: audio_config / text_config embedded (no ids), audio_tower.* (ModifiedWhisperEncoder: HF
# WhisperEncoder names) and language_model.* beside the projector -- what a save of the whole UltravoxModel holds
fd = "ultravox-full"
os.makedirs(fd, exist_ok=True)
full = dict(pw)
full.update({"audio_tower." + k[len("model.encoder."):]: v for k, v in inv.items()})
full.update({"language_model." + k: v for k, v in tw.items()})
write_safetensors(os.path.join(fd, "model.safetensors"), full)
write_tokenizer(fd)
with open(os.path.join(ud, "config.json")) as f:
    fcfg = json.load(f)
del fcfg["audio_model_id"], fcfg["text_model_id"]
with open(os.path.join(ud, "audio", "config.json")) as f:
    fcfg["audio_config"] = dict(json.load(f), _name_or_path="openai/whisper-large-v3-turbo")
fcfg["text_config"] = dict({k: v for k, v in tcfg.items() if k != "architectures"}, _name_or_path="meta-llama/Llama-3.2-1B-Instruct")
dump(os.path.join(fd, "config.json"), fcfg)
for f in ["expected.json", "expected_speech_embeddings.npy", "expected_hidden.npy", "expected_logits_tail.npy"]:
    shutil.copy(os.path.join(ud, f), os.path.join(fd, f))

print("llama-omni: speech", speech.shape, "positions", x.shape[0], "argmax", int(logits[-1].argmax()), "max|logit|", np.abs(logits).max())
print("ultravox: speech", uspeech.shape, "positions", ux.shape[0], "argmax", int(ulogits[-1].argmax()), "max|logit|", np.abs(ulogits).max())
