package org.slim4j.model.llama;

import org.slim4j.tensor.kernel.VectorOps;

/**
 * float32 rows of every layer and kv head in {@code slots} slots per head, position t in slot t % slots, laid out
 * [layer][kv head][slot][head dim] so that attention reads one head's rows as one sequential run: the whole cache
 * (slots = capacity: t's own slot) or the full-precision window of a KIVI side.
 */
final class FloatRows implements KvCache.Keys, KvCache.Values {
    private final float[][] data;
    private final int kvHeads, headDim, slots;

    /** A whole float32 cache of {@code capacity} positions. */
    FloatRows(LlamaConfig c, int capacity) {
        this(c, capacity, capacity);
    }

    FloatRows(LlamaConfig c, int capacity, int slots) {
        this.kvHeads = c.kvHeads();
        this.headDim = c.headDim();
        this.slots = Math.min(capacity, slots);
        this.data = new float[c.layers()][Math.multiplyExact(this.slots, c.kvDim())];
    }

    @Override
    public void store(int l, float[] rows, int n, int pos0) {
        int kvDim = kvHeads * headDim;
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < kvHeads; g++) System.arraycopy(rows, i * kvDim + g * headDim, data[l], offset(g, pos0 + i), headDim);
        }
    }

    /** Where position t of kv head g starts in a layer's array. */
    int offset(int g, int t) {
        return (g * slots + t % slots) * headDim;
    }

    /** Positions each kv head keeps (t's slot is t % slots). */
    int slots() {
        return slots;
    }

    /** Row t of kv head g in layer l (an array and {@link #offset}). */
    float[] layer(int l) {
        return data[l];
    }

    @Override
    public void scores(int l, int g, float[] q, int qOff, int from, int pos, float scale, float[] s) {
        float[] keys = data[l];
        for (int t = from; t <= pos; ) { // runs of consecutive slots: one run unless the slots wrap
            int end = Math.min(pos, t + slots - 1 - t % slots);
            for (int off = offset(g, t); t <= end; t++, off += headDim) s[t] = VectorOps.dot(q, qOff, keys, off, headDim) * scale;
        }
    }

    @Override
    public void accumulate(int l, int g, float[] s, float inv, int from, int pos, float[] out, int outOff) {
        float[] values = data[l];
        for (int t = from; t <= pos; ) {
            int end = Math.min(pos, t + slots - 1 - t % slots);
            for (int off = offset(g, t); t <= end; t++, off += headDim) VectorOps.axpy(s[t] * inv, values, off, out, outOff, headDim);
        }
    }

    @Override
    public long bytes() {
        return 4L * data.length * data[0].length;
    }
}
