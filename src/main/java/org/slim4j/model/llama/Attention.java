package org.slim4j.model.llama;

import java.util.Arrays;
import org.slim4j.tensor.kernel.VectorOps;

/**
 * Causal grouped-query attention of one query row and one head against the cached positions it may see, the same
 * arithmetic for the reference engine ({@link LlamaModel}) and the fast one ({@link FastSession}): scores q.k scaled by
 * 1/sqrt(head dim), a softmax (max subtracted, sum in double), then the weighted sum of the value rows.
 */
final class Attention {
    private final int heads, group, headDim, window;
    private final float scale;

    Attention(LlamaConfig c) {
        this.heads = c.heads();
        this.group = c.heads() / c.kvHeads();
        this.headDim = c.headDim();
        this.window = c.slidingWindow();
        this.scale = (float) (1.0 / Math.sqrt(c.headDim()));
    }

    int heads() {
        return heads;
    }

    /**
     * Query row i (at position pos0 + i) of {@code q} [n][heads * headDim], head {@code head}, against layer l's cache:
     * writes att[i][head * headDim ..]; {@code s} holds at least pos0 + i + 1 scores.
     */
    void row(KvCache cache, int l, float[] q, int i, int pos0, int head, float[] s, float[] att) {
        int pos = pos0 + i;
        int from = window > 0 ? Math.max(0, pos - window + 1) : 0;
        int qOff = i * heads * headDim + head * headDim;
        int kvBase = cache.base(head / group);
        float[] keys = cache.k[l], values = cache.v[l];
        float max = Float.NEGATIVE_INFINITY;
        for (int t = from; t <= pos; t++) {
            float sc = VectorOps.dot(q, qOff, keys, kvBase + t * headDim, headDim) * scale;
            s[t] = sc;
            if (sc > max) max = sc;
        }
        double sum = 0;
        for (int t = from; t <= pos; t++) {
            float e = (float) Math.exp(s[t] - max);
            s[t] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        Arrays.fill(att, qOff, qOff + headDim, 0f);
        for (int t = from; t <= pos; t++) VectorOps.axpy(s[t] * inv, values, kvBase + t * headDim, att, qOff, headDim);
    }
}
