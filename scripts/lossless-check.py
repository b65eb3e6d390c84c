#!/usr/bin/env python3
"""Independent decoder of slim4j's lossless safetensors (written from docs/FORMATS.md only, numpy, no slim4j code):
decodes every coded tensor and compares its bytes with the original safetensors file's tensor bytes.
usage: scripts/lossless-check.py ORIGINAL.safetensors CODED.safetensors"""
import json, struct, sys, time
import numpy as np

def read_st(path):
    f = open(path, 'rb'); n = struct.unpack('<Q', f.read(8))[0]; hdr = json.loads(f.read(n)); base = 8 + n
    data = np.memmap(path, dtype=np.uint8, mode='r')
    return hdr, data, base

def part(hdr, data, base, name):
    a, b = hdr[name]['data_offsets']; return data[base + a: base + b]

def canonical(lengths):
    syms = sorted([s for s in range(256) if lengths[s]], key=lambda s: (lengths[s], s))
    code = 0; prev = 0; table = {}
    if len(syms) == 1:
        return {(1, 0): syms[0]}
    for s in syms:
        code <<= (lengths[s] - prev); prev = lengths[s]
        table[(lengths[s], code)] = s; code += 1
    kraft = sum(2.0 ** -lengths[s] for s in syms); assert abs(kraft - 1) < 1e-12, kraft
    return table

def decode_lane(stream, start, end, count, table, maxlen):
    bits = np.unpackbits(np.asarray(stream[start:end])).astype(np.int32)  # codes MSB first
    nb = len(bits); padded = np.concatenate([bits, np.zeros(maxlen, np.int32)])
    w = np.zeros(nb + 1, np.int32)
    for j in range(maxlen):
        w = (w << 1) | padded[j:j + nb + 1]
    w = w.tolist(); sl = SYM_LEN; out = bytearray(count); pos = 0
    for i in range(count):
        s, l = sl[w[pos]]; out[i] = s; pos += l
    assert nb - pos < 8 and not bits[pos:].any(), "lane does not end at its padding"
    return np.frombuffer(bytes(out), np.uint8)

def main(orig, coded):
    global SYM_LEN
    ho, do, bo = read_st(orig); hc, dc, bc = read_st(coded)
    meta = json.loads(hc['__metadata__']['slim4j.lossless'])
    chunk, lanes, maxb = meta['chunk'], meta['lanes'], meta['max_code_bits']
    coded_names = meta['tensors']; t0 = time.time(); checked = 0; values = 0
    names = [k for k in ho if k != '__metadata__']
    for name in names:
        ob = part(ho, do, bo, name)
        if name not in coded_names:
            cb = part(hc, dc, bc, name); assert np.array_equal(ob, cb), name; checked += 1; continue
        dt = coded_names[name]['dtype']; assert dt == ho[name]['dtype'] and coded_names[name]['shape'] == ho[name]['shape']
        width = {'BF16': 2, 'F16': 2, 'F32': 4}[dt]; n = len(ob) // width
        lengths = part(hc, dc, bc, name + '.huff_lengths')
        offs = np.frombuffer(part(hc, dc, bc, name + '.huff_lanes').tobytes(), dtype='<i8')
        stream = part(hc, dc, bc, name + '.huff_stream'); raw = part(hc, dc, bc, name + '.huff_raw')
        table = canonical([int(x) for x in lengths]); maxlen = max(l for l, _ in table)
        SYM_LEN = [None] * (1 << maxlen)
        for (l, c), s in table.items():
            for j in range(1 << (maxlen - l)): SYM_LEN[(c << (maxlen - l)) | j] = (s, l)
        sym = np.empty(n, dtype=np.uint8); nchunks = (n + chunk - 1) // chunk; k = 0
        for c in range(nchunks):
            c0 = c * chunk; m = min(chunk, n - c0)
            for i in range(lanes):
                a = c0 + (i * m) // lanes; b = c0 + ((i + 1) * m) // lanes
                sym[a:b] = decode_lane(stream, int(offs[k]), int(offs[k + 1]), b - a, table, maxlen); k += 1
        assert len(stream) == offs[-1] + 8
        planes = np.asarray(raw).reshape(-1, n)
        if dt == 'BF16':
            p = planes[0].astype(np.uint16); v = ((p >> 7) << 15) | (sym.astype(np.uint16) << 7) | (p & 0x7f)
            got = v.astype('<u2').view(np.uint8)
        elif dt == 'F16':
            v = (sym.astype(np.uint16) << 8) | planes[0].astype(np.uint16); got = v.astype('<u2').view(np.uint8)
        else:
            p0, p1, p2 = (planes[j].astype(np.uint32) for j in range(3))
            v = ((p2 >> 7) << 31) | (sym.astype(np.uint32) << 23) | ((p2 & 0x7f) << 16) | (p1 << 8) | p0
            got = v.astype('<u4').view(np.uint8)
        assert np.array_equal(got, np.asarray(ob)), name + ': decoded bytes differ'
        checked += 1; values += n
    extra = set(hc) - {'__metadata__'} - set(names) - {c + s for c in coded_names for s in ('.huff_lengths', '.huff_lanes', '.huff_stream', '.huff_raw', '.huff_crc32c')}
    assert not extra, extra
    print(f"{coded}: {checked}/{len(names)} tensors bit-identical to {orig} ({len(coded_names)} coded, {values} coded values), {time.time()-t0:.0f}s")

main(sys.argv[1], sys.argv[2])
