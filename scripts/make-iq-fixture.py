#!/usr/bin/env python3
"""Makes the i-quant decoding fixture: a one-layer Llama with 256-wide matrices (random weights with heavy tails,
seeded), an importance matrix for it (random, in llama-imatrix's GGUF layout), and llama-quantize's file with each
matrix in another i-quant type (--tensor-type overrides), then ggml's own dequantization of every tensor, hashed.

    scripts/make-iq-fixture.py OUT_DIR      (needs scripts/llama-cpp.sh's tools and scripts/ggml-oracle.sh)

Writes OUT_DIR/iq-mix.gguf (what llama-quantize wrote) and OUT_DIR/iq-mix-dequant-sha256.json."""
import hashlib, json, os, struct, subprocess, sys
import numpy as np

OUT = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LLAMA = os.environ.get("SLIM4J_LLAMA_CPP", os.path.expanduser("~/.cache/slim4j/llama.cpp"))
H, FFN, VOCAB = 256, 512, 256
TYPES = {  # tensor -> llama-quantize type name, ggml type id
    "token_embd.weight": ("iq4_nl", 20), "blk.0.attn_q.weight": ("iq4_xs", 23), "blk.0.attn_k.weight": ("iq3_xxs", 18),
    "blk.0.attn_v.weight": ("iq3_s", 21), "blk.0.attn_output.weight": ("iq2_xxs", 16), "blk.0.ffn_gate.weight": ("iq2_xs", 17),
    "blk.0.ffn_up.weight": ("iq2_s", 22), "blk.0.ffn_down.weight": ("iq1_s", 19)}


def gguf(path, kvs, tensors):
    """kvs: list of (key, type, value); tensors: list of (name, ndarray float32, ne)."""
    def s(x):
        b = x.encode()
        return struct.pack("<Q", len(b)) + b
    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)))
    for k, t, v in kvs:
        out += s(k) + struct.pack("<I", t)
        if t == 4: out += struct.pack("<I", v)
        elif t == 6: out += struct.pack("<f", v)
        elif t == 8: out += s(v)
        elif t == 9: out += struct.pack("<IQ", 8, len(v)) + b"".join(s(x) for x in v)
    off = 0
    for name, a, ne in tensors:
        out += s(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne) + struct.pack("<IQ", 0, off)
        off += (a.nbytes + 31) // 32 * 32
    out += b"\0" * ((-len(out)) % 32)
    for _, a, _ in tensors:
        out += a.astype("<f4").tobytes()
        out += b"\0" * ((-a.nbytes) % 32)
    open(path, "wb").write(out)


rng = np.random.default_rng(13)
def mat(rows, cols):
    return (rng.standard_t(4, size=(rows, cols)) * 0.02).astype(np.float32)

shapes = {"token_embd.weight": (VOCAB, H), "blk.0.attn_q.weight": (H, H), "blk.0.attn_k.weight": (H, H),
          "blk.0.attn_v.weight": (H, H), "blk.0.attn_output.weight": (H, H), "blk.0.ffn_gate.weight": (FFN, H),
          "blk.0.ffn_up.weight": (FFN, H), "blk.0.ffn_down.weight": (H, FFN)}
tensors = [("blk.0.attn_norm.weight", np.ones(H, np.float32), [H]), ("blk.0.ffn_norm.weight", np.ones(H, np.float32), [H]),
           ("output_norm.weight", np.ones(H, np.float32), [H])]
for name, (r, c) in shapes.items():
    tensors.append((name, mat(r, c), [c, r]))
os.makedirs(OUT, exist_ok=True)
tmp = os.path.join(OUT, ".iq-src")
os.makedirs(tmp, exist_ok=True)
src, imx = os.path.join(tmp, "f32.gguf"), os.path.join(tmp, "imatrix.gguf")
gguf(src, [("general.architecture", 8, "llama"), ("general.name", 8, "iq-fixture"), ("llama.block_count", 4, 1),
           ("llama.context_length", 4, 256), ("llama.embedding_length", 4, H), ("llama.feed_forward_length", 4, FFN),
           ("llama.attention.head_count", 4, 4), ("llama.attention.head_count_kv", 4, 4),
           ("llama.attention.layer_norm_rms_epsilon", 6, 1e-5), ("llama.rope.dimension_count", 4, H // 4),
           ("llama.vocab_size", 4, VOCAB), ("general.file_type", 4, 0)], tensors)
imt = []
for name, (r, c) in shapes.items():
    if name.startswith("blk."):
        imt.append((name + ".in_sum2", (rng.gamma(0.5, 2.0, size=c) * 40).astype(np.float32), [c, 1]))
        imt.append((name + ".counts", np.array([40.0], np.float32), [1, 1]))
gguf(imx, [("general.type", 8, "imatrix"), ("imatrix.datasets", 9, ["random"]), ("imatrix.chunk_count", 4, 1),
           ("imatrix.chunk_size", 4, 40)], imt)
out = os.path.join(OUT, "iq-mix.gguf")
args = [os.path.join(LLAMA, "llama-quantize"), "--imatrix", imx]
for name, (t, _) in TYPES.items():
    if name == "token_embd.weight": args += ["--token-embedding-type", t]
    else: args += ["--tensor-type", name.split(".")[2] + "=" + t]
subprocess.run(args + [src, out, "IQ4_XS", "1"], check=True, stdout=subprocess.DEVNULL)

# ggml's dequantization of each tensor of the file llama-quantize wrote
def read_gguf_tensors(path):
    b = open(path, "rb").read()
    p = 4
    ver, nt, nk = struct.unpack_from("<IQQ", b, p); p += 20
    def rs():
        nonlocal p
        n, = struct.unpack_from("<Q", b, p); p += 8
        v = b[p:p + n].decode(); p += n
        return v
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    align = 32
    def skip(t):
        nonlocal p
        if t == 8: return rs()
        if t == 9:
            et, n = struct.unpack_from("<IQ", b, p); p += 12
            return [skip(et) for _ in range(n)]
        v = b[p:p + sizes[t]]; p += sizes[t]
        return v
    for _ in range(nk):
        k = rs(); t, = struct.unpack_from("<I", b, p); p += 4
        v = skip(t)
        if k == "general.alignment": align = struct.unpack("<I", v)[0]
    infos = []
    for _ in range(nt):
        name = rs(); nd, = struct.unpack_from("<I", b, p); p += 4
        ne = struct.unpack_from("<%dQ" % nd, b, p); p += 8 * nd
        t, off = struct.unpack_from("<IQ", b, p); p += 12
        infos.append((name, ne, t, off))
    base = (p + align - 1) // align * align
    return b, base, infos

b, base, infos = read_gguf_tensors(out)
bsz = {0: (1, 4), 20: (32, 18), 23: (256, 136), 18: (256, 98), 21: (256, 110), 16: (256, 66), 17: (256, 74), 22: (256, 82), 19: (256, 50)}
hashes = {}
for name, ne, t, off in infos:
    n = int(np.prod(ne))
    blk, by = bsz[t]
    raw = b[base + off: base + off + n // blk * by]
    if t == 0:
        vals = raw
    else:
        vals = subprocess.run([os.path.join(ROOT, "scripts", "ggml-oracle.sh"), "dequant", str(t), str(n)], input=raw,
                              check=True, capture_output=True).stdout
    hashes[name] = hashlib.sha256(vals).hexdigest()
json.dump({"file": "iq-mix.gguf", "made_by": "scripts/make-iq-fixture.py (llama-quantize, then ggml's dequantize_row_*)",
           "types": {k: v[0] for k, v in TYPES.items()}, "sha256": hashes}, open(os.path.join(OUT, "iq-mix-dequant-sha256.json"), "w"), indent=1)
print("wrote", out, os.path.getsize(out), "bytes")
