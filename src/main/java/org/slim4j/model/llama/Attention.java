package org.slim4j.model.llama;

import java.util.Arrays;

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
     * writes att[i][head * headDim ..]; {@code s} holds at least {@link KvCache#scoresLength} floats. The cache's key
     * side scores the positions and its value side adds them up, each reading its own storage in place.
     */
    void row(KvCache cache, int l, float[] q, int i, int pos0, int head, float[] s, float[] att) {
        int pos = pos0 + i;
        int from = window > 0 ? Math.max(0, pos - window + 1) : 0;
        int qOff = i * heads * headDim + head * headDim;
        int g = head / group;
        cache.k.scores(l, g, q, qOff, from, pos, scale, s);
        float max = Float.NEGATIVE_INFINITY;
        for (int t = from; t <= pos; t++) if (s[t] > max) max = s[t];
        double sum = 0;
        for (int t = from; t <= pos; t++) {
            float e = (float) Math.exp(s[t] - max);
            s[t] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        Arrays.fill(att, qOff, qOff + headDim, 0f);
        cache.v.accumulate(l, g, s, inv, from, pos, att, qOff);
    }
}
