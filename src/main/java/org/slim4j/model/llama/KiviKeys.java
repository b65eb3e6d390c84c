package org.slim4j.model.llama;

import java.util.Arrays;
import org.slim4j.tensor.kernel.Kivi;
import org.slim4j.tensor.kernel.KvCacheOptions;

/**
 * KIVI's keys: quantized per channel, each channel's scale and minimum covering a group of {@code group} tokens (keys
 * have a few large channels, which per-token groups would let dominate), once all the group's tokens are in; recent
 * positions are read in full precision ({@link KiviRows}). Scores of a group's positions take q scaled by the group's
 * channel scales once (q . k = (q * scale) . code + q . min), then one packed dot per position.
 */
final class KiviKeys extends KiviRows implements KvCache.Keys {
    private final int groups;
    private final float[] lo, hi;

    KiviKeys(LlamaConfig c, int capacity, int rows, KvCacheOptions o) {
        super(c, capacity, rows, o, o.k().kiviBits, capacity / o.group() * c.headDim());
        this.groups = capacity / group;
        this.lo = new float[headDim];
        this.hi = new float[headDim];
    }

    @Override
    public void store(int l, float[] rows, int n, int pos0) {
        recent.store(l, rows, n, pos0);
        for (int t = pos0; t < pos0 + n; t++) if ((t + 1) % group == 0) quantize(l, t + 1 - group);
    }

    /** The group of positions [t0, t0 + group), from the window. */
    private void quantize(int l, int t0) {
        float[] src = recent.layer(l);
        for (int g = 0; g < kvHeads; g++) {
            Arrays.fill(lo, Float.POSITIVE_INFINITY);
            Arrays.fill(hi, Float.NEGATIVE_INFINITY);
            for (int t = t0; t < t0 + group; t++) {
                for (int c = 0, o = recent.offset(g, t); c < headDim; c++, o++) {
                    lo[c] = Math.min(lo[c], src[o]);
                    hi[c] = Math.max(hi[c], src[o]);
                }
            }
            int so = (g * groups + t0 / group) * headDim;
            for (int c = 0; c < headDim; c++) {
                short m = Kivi.min(lo[c]), s = Kivi.scale(m, hi[c], bits);
                scale[l][so + c] = s;
                min[l][so + c] = m;
                for (int t = t0; t < t0 + group; t++) Kivi.put(codes[l], rowOffset(g, t), c, Kivi.code(src[recent.offset(g, t) + c], s, m, bits), bits);
            }
        }
    }

    @Override
    public void scores(int l, int g, float[] q, int qOff, int from, int pos, float sc, float[] s) {
        int below = quantizedBelow(pos), qs = capacity; // q * scale goes to s's scratch
        for (int t = from; t < below; ) {
            int j = t / group, end = Math.min(below, (j + 1) * group), so = (g * groups + j) * headDim;
            float bias = 0;
            for (int c = 0; c < headDim; c++) {
                s[qs + c] = q[qOff + c] * Float.float16ToFloat(scale[l][so + c]);
                bias += q[qOff + c] * Float.float16ToFloat(min[l][so + c]);
            }
            for (; t < end; t++) s[t] = (Kivi.dot(s, qs, codes[l], rowOffset(g, t), headDim, bits) + bias) * sc;
        }
        if (Math.max(from, below) <= pos) recent.scores(l, g, q, qOff, Math.max(from, below), pos, sc, s);
    }

    @Override
    public int scratch() {
        return headDim;
    }
}
