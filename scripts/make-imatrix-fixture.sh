#!/usr/bin/env bash
# Makes the imatrix byte-identity fixture (slim4j-core/src/test/resources/org/slim4j/quant/): llama-imatrix's importance matrix of
# the tiny-llama-rand fixture (F32 GGUF by slim4j convert; ../shared/data/tinyshakespeare.txt, 4 chunks of 128) and,
# for each file type, the sha256 of every tensor of what `llama-quantize --imatrix` writes from that F32 GGUF, with
# the types it chose and the quantize.imatrix.* keys. GgufImatrixIdentityTest quantizes the same F32 GGUF with the
# same imatrix and must reproduce every hash. Needs scripts/llama-cpp.sh's tools.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/slim4j-core/src/test/resources/org/slim4j/quant"
LL="$(dirname "$("$ROOT/scripts/llama-cpp.sh")")"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT/slim4j-core" # relative paths, recorded as such in the files (the tests run in slim4j-core)
REL=src/test/resources/org/slim4j/quant
"$ROOT/slim4j" convert -m "$ROOT/../shared/fixtures/tiny-llama-rand" -o "$TMP/f32.gguf" --type f32 >/dev/null
"$LL/llama-imatrix" -m "$TMP/f32.gguf" -f ../../shared/data/tinyshakespeare.txt -c 128 --chunks 4 -t 2 -o "$REL/tiny-imatrix.gguf" >/dev/null 2>&1
TYPES="Q2_K Q3_K_S Q3_K_M Q4_K_S Q4_K_M Q5_K_M Q6_K IQ4_XS IQ4_NL Q4_0 Q5_1"
for t in $TYPES; do
  "$LL/llama-quantize" --imatrix "$REL/tiny-imatrix.gguf" "$TMP/f32.gguf" "$TMP/$t.gguf" "$t" 2 >/dev/null 2>&1
done
python3 - "$TMP" "$OUT/imatrix-identity-sha256.json" $TYPES <<'PY'
import hashlib, json, struct, sys
tmp, out, types = sys.argv[1], sys.argv[2], sys.argv[3:]
BLOCK = {0: (1, 4), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 10: (256, 84), 11: (256, 110),
         12: (256, 144), 13: (256, 176), 14: (256, 210), 20: (32, 18), 23: (256, 136)}
NAMES = {0: "F32", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K",
         14: "Q6_K", 20: "IQ4_NL", 23: "IQ4_XS"}
def read(path):
    b = open(path, "rb").read()
    p = 24
    _, nt, nk = struct.unpack_from("<IQQ", b, 4)
    def rs():
        nonlocal p
        n, = struct.unpack_from("<Q", b, p); p += 8
        v = b[p:p + n].decode(); p += n
        return v
    size = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    fmt = {4: "<I", 5: "<i", 6: "<f", 10: "<Q"}
    def val(t):
        nonlocal p
        if t == 8: return rs()
        if t == 9:
            et, n = struct.unpack_from("<IQ", b, p); p += 12
            return [val(et) for _ in range(n)]
        v = struct.unpack_from(fmt.get(t, "<B"), b, p)[0]; p += size[t]
        return v
    kv = {}
    for _ in range(nk):
        k = rs(); t, = struct.unpack_from("<I", b, p); p += 4
        kv[k] = val(t)
    infos = []
    for _ in range(nt):
        name = rs(); nd, = struct.unpack_from("<I", b, p); p += 4
        ne = struct.unpack_from("<%dQ" % nd, b, p); p += 8 * nd
        t, off = struct.unpack_from("<IQ", b, p); p += 12
        infos.append((name, ne, t, off))
    base = (p + 31) // 32 * 32
    return b, kv, base, infos
res = {"made_by": "scripts/make-imatrix-fixture.sh: llama-quantize --imatrix tiny-imatrix.gguf F32 OUT TYPE (llama.cpp build 11669)", "files": {}}
for t in types:
    b, kv, base, infos = read(f"{tmp}/{t}.gguf")
    tensors, order = {}, []
    for name, ne, ty, off in infos:
        n = 1
        for x in ne: n *= x
        blk, by = BLOCK[ty]
        tensors[name] = {"type": NAMES[ty], "sha256": hashlib.sha256(b[base + off: base + off + n // blk * by]).hexdigest()}
        order.append(name)
    keys = {k: v for k, v in kv.items() if k.startswith("quantize.") or k in ("general.file_type", "general.quantization_version")}
    res["files"][t] = {"order": order, "keys": keys, "tensors": tensors}
json.dump(res, open(sys.argv[2], "w"), indent=1)
PY
ls -la "$OUT"
