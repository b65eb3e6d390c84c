package org.slim4j.model.llama;

import org.slim4j.tensor.kernel.Kivi;
import org.slim4j.tensor.kernel.KvCacheOptions;

/**
 * KIVI's values: quantized per token as they are written, each group of {@code group} channels with its own scale and
 * minimum (values have no outlier channels, and the attention-weighted sum mixes tokens, so per-token error stays
 * per-token); recent positions are read in full precision ({@link KiviRows}).
 */
final class KiviValues extends KiviRows implements KvCache.Values {
    private final int perRow;

    KiviValues(LlamaConfig c, int capacity, int rows, KvCacheOptions o) {
        super(c, capacity, rows, o, o.v().kiviBits, capacity * (c.headDim() / o.group()));
        this.perRow = headDim / group;
    }

    @Override
    public void store(int l, float[] rows, int n, int pos0) {
        recent.store(l, rows, n, pos0);
        int kvDim = kvHeads * headDim;
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < kvHeads; g++) {
                int t = pos0 + i, src = i * kvDim + g * headDim, co = rowOffset(g, t);
                for (int k = 0; k < perRow; k++) {
                    float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
                    for (int c = k * group; c < (k + 1) * group; c++) {
                        lo = Math.min(lo, rows[src + c]);
                        hi = Math.max(hi, rows[src + c]);
                    }
                    short m = Kivi.min(lo), sc = Kivi.scale(m, hi, bits);
                    int so = (g * capacity + t) * perRow + k;
                    scale[l][so] = sc;
                    min[l][so] = m;
                    for (int c = k * group; c < (k + 1) * group; c++) Kivi.put(codes[l], co, c, Kivi.code(rows[src + c], sc, m, bits), bits);
                }
            }
        }
    }

    @Override
    public void accumulate(int l, int g, float[] s, float inv, int from, int pos, float[] out, int outOff) {
        int below = quantizedBelow(pos), gb = Kivi.rowBytes(group, bits);
        for (int t = from; t < below; t++) {
            float w = s[t] * inv;
            int co = rowOffset(g, t), so = (g * capacity + t) * perRow;
            for (int k = 0; k < perRow; k++) {
                Kivi.axpy(w * Float.float16ToFloat(scale[l][so + k]), w * Float.float16ToFloat(min[l][so + k]), codes[l], co + k * gb, group, bits,
                        out, outOff + k * group);
            }
        }
        if (Math.max(from, below) <= pos) recent.accumulate(l, g, s, inv, Math.max(from, below), pos, out, outOff);
    }
}
