"""GGUF test files for Auris's GGUF reader, written by llama.cpp's own gguf-py.

Usage: GGUF_PY=/path/to/llama.cpp/gguf-py python3 make.py   (numpy only; run in this folder)

* llama-tiny-{f32,q8_0,q4_0}.gguf: ../llama-tiny/model.safetensors converted as convert_hf_to_gguf.py does for
  `llama` (q_proj / k_proj rows permuted by LlamaModel.permute; 1-D norms stay F32; matrices quantized by
  gguf.quants.quantize), with a synthetic 256-piece SentencePiece vocabulary (tokenizer.ggml.model = llama).
* expected_logits_{q8_0,q4_0}.npy [12, 256]: a plain-numpy float64 Llama forward (HF LlamaForCausalLM semantics,
  as ../README.md defines) on gguf-py's dequantization of those files (rows un-permuted), input_ids of
  ../llama-tiny/expected.json. The same forward on the F32 weights is checked against ../llama-tiny/expected_logits.npy.
* llama3-tiny-q8_0.gguf: ../llama3-tiny (Llama-3.1 RoPE scaling, tied embeddings) the same way, its rope_scaling as
  convert writes it: a rope_freqs.weight table of per-frequency divisors (LlamaModel.generate_extra_tensors).
* types.gguf: one [3, 512] tensor per type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 quantized by gguf-py from
  N(0, 1); Q4_K, Q5_K and Q6_K, which gguf-py cannot quantize, as random blocks with finite f16 scales) and beside each
  `<name>.expected`, F32 = gguf.quants.dequantize of it; plus metadata of every GGUF value type.
* bpe-vocab.gguf: a Llama-3-style byte-level BPE vocabulary (tokenizer.ggml.model = gpt2, pre = llama-bpe; GPT-2 byte
  map, 15 merges, specials) and test.texts / test.ids: the ids of a plain-Python BPE encoder (ASCII pre-tokenization).
* vocab.gguf: ../../../assets/llm/stories260K/tok512.bin as GGUF tokenizer metadata (no tensors).
"""
import json, os, struct, sys, types
import numpy as np

sys.path.insert(0, os.environ.get("GGUF_PY", "/tmp/ggufpy/lc/gguf-py"))
for mod, attrs in (("sentencepiece", {"SentencePieceProcessor": object}), ("yaml", {})):
    try:
        __import__(mod)
    except ImportError:
        m = types.ModuleType(mod); m.__dict__.update(attrs); sys.modules[mod] = m
import gguf  # noqa: E402
from gguf.quants import quantize, dequantize  # noqa: E402

Q = gguf.GGMLQuantizationType
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "llama-tiny")


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n)); data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__": continue
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(data[a:b], dtype=np.float32).reshape(v["shape"]).copy()
    return out


def permute(w, n_head):  # convert_hf_to_gguf.py LlamaModel.permute
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute(w, n_head):
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


HF_TO_GGUF = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
              "self_attn.o_proj": "attn_output", "post_attention_layernorm": "ffn_norm", "mlp.gate_proj": "ffn_gate",
              "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}


def gguf_name(hf):
    if hf.startswith("model.layers."):
        i, rest = hf[len("model.layers."):].split(".", 1)
        mod, kind = rest.rsplit(".", 1)
        return f"blk.{i}.{HF_TO_GGUF[mod]}.{kind}"
    return {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight", "lm_head.weight": "output.weight"}[hf]


def vocab256():
    """<unk> <s> </s>, ▁ and printable ASCII, then ▁-prefixed lowercase letters and a few bigrams (scores favour longer pieces)."""
    pieces = ["<unk>", "<s>", "</s>", "\u2581"] + [chr(c) for c in range(33, 127)]
    pieces += ["\u2581" + chr(c) for c in range(ord("a"), ord("z") + 1)]
    for a in "etaoinshrdlu":
        for b in "etaoinshrdlu":
            if len(pieces) < 256 and a + b not in pieces: pieces.append(a + b)
    pieces = pieces[:256]
    scores = [0.0, 0.0, 0.0] + [-float(i) for i in range(len(pieces) - 3)]
    ttypes = [2, 3, 3] + [1] * (len(pieces) - 3)
    return pieces, scores, ttypes


def llama_forward(w, cfg, ids):
    """HF LlamaForCausalLM in float64 (../README.md's reference semantics)."""
    H, nh, nkv, hd, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"], cfg["rms_norm_eps"]
    W = {k: v.astype(np.float64) for k, v in w.items()}
    T = len(ids)
    rms = lambda x, g: g * x / np.sqrt((x * x).mean(-1, keepdims=True) + eps)
    inv = 1.0 / cfg["rope_theta"] ** (np.arange(0, hd, 2, dtype=np.float64) / hd)
    ang = np.outer(np.arange(T), inv); emb = np.concatenate([ang, ang], -1); cos, sin = np.cos(emb), np.sin(emb)
    rot = lambda x: np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], -1)
    x = W["model.embed_tokens.weight"][ids]
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rms(x, W[p + "input_layernorm.weight"])
        q = (h @ W[p + "self_attn.q_proj.weight"].T).reshape(T, nh, hd).transpose(1, 0, 2)
        k = (h @ W[p + "self_attn.k_proj.weight"].T).reshape(T, nkv, hd).transpose(1, 0, 2)
        v = (h @ W[p + "self_attn.v_proj.weight"].T).reshape(T, nkv, hd).transpose(1, 0, 2)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        k, v = np.repeat(k, nh // nkv, 0), np.repeat(v, nh // nkv, 0)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
        o = (s @ v).transpose(1, 0, 2).reshape(T, nh * hd)
        x = x + o @ W[p + "self_attn.o_proj.weight"].T
        h = rms(x, W[p + "post_attention_layernorm.weight"])
        g = h @ W[p + "mlp.gate_proj.weight"].T
        x = x + ((g / (1 + np.exp(-g))) * (h @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
    return rms(x, W["model.norm.weight"]) @ W["lm_head.weight"].T


def llama3_rope_factors(cfg):
    """convert_hf_to_gguf.py LlamaModel.generate_extra_tensors: rope_freqs.weight for rope_type llama3."""
    s, hd = cfg["rope_scaling"], cfg["head_dim"]
    freqs = 1.0 / (cfg["rope_theta"] ** (np.arange(0, hd, 2, dtype=np.float32) / hd))
    factor, low, high, old = s["factor"], s["low_freq_factor"], s["high_freq_factor"], s["original_max_position_embeddings"]
    out = []
    for freq in freqs:
        wavelen = 2 * np.pi / freq
        if wavelen < old / high: out.append(1)
        elif wavelen > old / low: out.append(factor)
        else:
            smooth = (old / wavelen - low) / (high - low)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def write_llama(path, weights, cfg, qtype, name="llama-tiny"):
    """Returns the HF-layout weights as gguf-py dequantizes what it wrote."""
    w = gguf.GGUFWriter(path, "llama")
    w.add_name(name); w.add_context_length(cfg["max_position_embeddings"]); w.add_embedding_length(cfg["hidden_size"])
    w.add_block_count(cfg["num_hidden_layers"]); w.add_feed_forward_length(cfg["intermediate_size"]); w.add_head_count(cfg["num_attention_heads"])
    w.add_head_count_kv(cfg["num_key_value_heads"]); w.add_rope_freq_base(cfg["rope_theta"]); w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    w.add_rope_dimension_count(cfg["head_dim"]); w.add_file_type({Q.F32: 0, Q.Q8_0: 7, Q.Q4_0: 2}[qtype])
    pieces, scores, ttypes = vocab256()
    w.add_tokenizer_model("llama"); w.add_token_list(pieces); w.add_token_scores(scores); w.add_token_types(ttypes)
    w.add_bos_token_id(1); w.add_eos_token_id(2); w.add_unk_token_id(0)
    w.add_chat_template("{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}")
    back = {}
    for name, t in weights.items():
        if name.endswith("q_proj.weight"): t = permute(t, cfg["num_attention_heads"])
        if name.endswith("k_proj.weight"): t = permute(t, cfg["num_key_value_heads"])
        if t.ndim == 1 or qtype == Q.F32:
            w.add_tensor(gguf_name(name), t); d = t
        else:
            qd = quantize(t, qtype); w.add_tensor(gguf_name(name), qd, raw_dtype=qtype); d = dequantize(qd, qtype)
        if name.endswith("q_proj.weight"): d = unpermute(d, cfg["num_attention_heads"])
        if name.endswith("k_proj.weight"): d = unpermute(d, cfg["num_key_value_heads"])
        back[name] = d.astype(np.float32)
    if cfg.get("rope_scaling"):
        w.add_tensor("rope_freqs.weight", llama3_rope_factors(cfg))
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
    return back


def random_kquant_blocks(rng, qtype, n_blocks):
    """Random bytes with the f16 scale fields set to finite values in [-0.05, 0.05] (Q4_K / Q5_K: d, dmin first; Q6_K: d last)."""
    size = gguf.GGML_QUANT_SIZES[qtype][1]
    b = rng.integers(0, 256, (n_blocks, size), dtype=np.uint8)
    scale = lambda: rng.uniform(-0.05, 0.05, (n_blocks, 1)).astype(np.float16).view(np.uint8)
    if qtype in (Q.Q4_K, Q.Q5_K): b[:, 0:2] = scale(); b[:, 2:4] = scale()
    else: b[:, size - 2:] = scale()
    return b


def write_types(path):
    rng = np.random.default_rng(20261203)
    w = gguf.GGUFWriter(path, "llama")
    for key, val, vt in (("test.u8", 200, "UINT8"), ("test.i8", -100, "INT8"), ("test.u16", 60000, "UINT16"), ("test.i16", -30000, "INT16"),
                         ("test.u32", 4000000000, "UINT32"), ("test.i32", -2000000000, "INT32"), ("test.f32", 0.25, "FLOAT32"),
                         ("test.bool", True, "BOOL"), ("test.string", "héllo ▁", "STRING"), ("test.u64", 2 ** 63 + 5, "UINT64"),
                         ("test.i64", -(2 ** 40), "INT64"), ("test.f64", 1e-300, "FLOAT64")):
        w.add_key_value(key, val, getattr(gguf.GGUFValueType, vt))
    w.add_array("test.ints", [1, -2, 3]); w.add_array("test.strings", ["a", "", "ccc"]); w.add_array("test.nested", [[1, 2], [3]])
    w.add_array("test.floats", [0.5, -1.5])
    for qt in (Q.F32, Q.F16, Q.BF16, Q.Q8_0, Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1, Q.Q4_K, Q.Q5_K, Q.Q6_K):
        x = rng.standard_normal((3, 512)).astype(np.float32)
        name = qt.name.lower()
        if qt == Q.F32: data, raw = x, None
        elif qt == Q.F16: data, raw = x.astype(np.float16), None
        elif qt in (Q.Q4_K, Q.Q5_K, Q.Q6_K): data, raw = random_kquant_blocks(rng, qt, 3 * 2).reshape(3, -1), qt
        else: data, raw = quantize(x, qt), qt
        w.add_tensor(name, data, raw_dtype=raw)
        exp = data.astype(np.float32) if raw is None else dequantize(data, qt)
        assert exp.shape == (3, 512) and np.isfinite(exp).all(), name
        w.add_tensor(name + ".expected", exp.astype(np.float32))
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()


def write_vocab(path, tok):
    with open(tok, "rb") as f: data = f.read()
    pos = 4; pieces, scores = [], []
    while pos + 8 <= len(data):
        score, n = struct.unpack_from("<fi", data, pos); pos += 8
        pieces.append(data[pos:pos + n].decode("utf-8")); scores.append(score); pos += n
    types_ = [2 if i == 0 else 3 if i in (1, 2) else 6 if p.startswith("<0x") and len(p) == 6 else 1 for i, p in enumerate(pieces)]
    w = gguf.GGUFWriter(path, "llama")
    w.add_tokenizer_model("llama"); w.add_token_list([p.replace(" ", "\u2581") for p in pieces]); w.add_token_scores(scores)
    w.add_token_types(types_); w.add_bos_token_id(1); w.add_eos_token_id(2); w.add_unk_token_id(0)
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()


def bytes_to_unicode():  # GPT-2's byte -> printable character map (openai/gpt-2 encoder.py)
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return dict(zip(bs, map(chr, cs)))


def write_bpe(path):
    """A byte-level BPE vocabulary (Llama 3 style: tokenizer.ggml.pre = llama-bpe, ignore_merges) with a few merges,
    and test texts with the ids a reference encoder gives (ASCII pre-tokenization equal to Llama 3's regex there)."""
    import re
    b2u = bytes_to_unicode()
    tokens = [b2u[b] for b in range(256)]
    merge_pairs = [("\u0120", "t"), ("h", "e"), ("\u0120t", "he"), ("l", "l"), ("o", "w"), ("\u0120", "w"), ("\u0120w", "o"), ("r", "l"),
                   ("\u0120wo", "rl"), ("\u0120worl", "d"), ("e", "r"), ("\u0120", "h"), ("\u0120h", "e"), ("\u0120he", "ll"), ("1", "2")]
    for a, b in merge_pairs: tokens.append(a + b)
    tokens.append("\u0120wonder")                       # in the vocabulary without a merge path: ignore_merges takes it whole
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
    tokens += specials
    types_ = [1] * (len(tokens) - len(specials)) + [3] * len(specials)
    ranks = {p: i for i, p in enumerate(merge_pairs)}
    ids = {t: i for i, t in enumerate(tokens)}
    pat = re.compile(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\nA-Za-z0-9]?[A-Za-z]+|[0-9]{1,3}| ?[^\sA-Za-z0-9]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

    def bpe(word):
        if word in ids: return [ids[word]]                # ignore_merges
        parts = list(word)
        while len(parts) > 1:
            best = min(((ranks.get((parts[i], parts[i + 1]), 1 << 30), i) for i in range(len(parts) - 1)))
            if best[0] == 1 << 30: break
            i = best[1]; parts[i:i + 2] = [parts[i] + parts[i + 1]]
        return [ids[p] for p in parts]

    def encode(text):
        out = []
        for piece in re.split("(" + "|".join(map(re.escape, specials)) + ")", text):
            if piece in specials: out.append(ids[piece]); continue
            for m in pat.findall(piece):
                out += bpe("".join(b2u[b] for b in m.encode("utf-8")))
        return out

    texts = ["hello the world", "the wonder of 12345 worlds!", "<|begin_of_text|>He said: hello there\n\n  ok", "héllo wörld"]
    w = gguf.GGUFWriter(path, "llama")
    w.add_tokenizer_model("gpt2"); w.add_tokenizer_pre("llama-bpe"); w.add_token_list(tokens); w.add_token_types(types_)
    w.add_token_merges([a + " " + b for a, b in merge_pairs]); w.add_bos_token_id(ids["<|begin_of_text|>"]); w.add_eos_token_id(ids["<|eot_id|>"])
    w.add_array("test.texts", texts); w.add_array("test.ids", [encode(t) for t in texts])
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()


def main():
    cfg = json.load(open(os.path.join(SRC, "config.json")))
    ids = json.load(open(os.path.join(SRC, "expected.json")))["input_ids"]
    weights = read_safetensors(os.path.join(SRC, "model.safetensors"))
    ref = np.load(os.path.join(SRC, "expected_logits.npy"))
    err = np.abs(llama_forward(weights, cfg, ids) - ref).max()
    assert err < 1e-5, f"numpy forward disagrees with the golden logits: {err}"
    print(f"numpy forward vs ../llama-tiny/expected_logits.npy: max |d| {err:.2e}")
    for qt in (Q.F32, Q.Q8_0, Q.Q4_0):
        name = qt.name.lower()
        back = write_llama(os.path.join(HERE, f"llama-tiny-{name}.gguf"), weights, cfg, qt)
        if qt == Q.F32:
            assert all(np.array_equal(back[k], weights[k]) for k in weights)
            continue
        logits = llama_forward(back, cfg, ids).astype(np.float32)
        np.save(os.path.join(HERE, f"expected_logits_{name}.npy"), logits)
        print(f"{name}: logits move by max |d| {np.abs(logits - ref).max():.3e} from the F32 model's")
    l3 = os.path.join(HERE, "..", "llama3-tiny")
    write_llama(os.path.join(HERE, "llama3-tiny-q8_0.gguf"), read_safetensors(os.path.join(l3, "model.safetensors")),
                json.load(open(os.path.join(l3, "config.json"))), Q.Q8_0, "llama3-tiny")
    write_types(os.path.join(HERE, "types.gguf"))
    write_bpe(os.path.join(HERE, "bpe-vocab.gguf"))
    write_vocab(os.path.join(HERE, "vocab.gguf"), os.path.join(HERE, "..", "..", "..", "assets", "llm", "stories260K", "tok512.bin"))
    for f in sorted(os.listdir(HERE)):
        print(f"{f:28s} {os.path.getsize(os.path.join(HERE, f)):8d} bytes")


if __name__ == "__main__":
    main()
