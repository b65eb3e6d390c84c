package org.slim4j.model.llama;

/**
 * Keys and values of every layer for positions [0, capacity), float32, laid out [layer][kv head][position][head dim]
 * so that attention reads one head's keys and values as one sequential run. Both engines use it.
 */
final class KvCache {
    final float[][] k;
    final float[][] v;
    final int capacity;
    private final int kvHeads, headDim;

    KvCache(LlamaConfig c, int capacity) {
        this.capacity = capacity;
        this.kvHeads = c.kvHeads();
        this.headDim = c.headDim();
        this.k = new float[c.layers()][Math.multiplyExact(capacity, c.kvDim())];
        this.v = new float[c.layers()][Math.multiplyExact(capacity, c.kvDim())];
    }

    /** Appends n rows of keys and values ([n][kvHeads * headDim]) of layer l at positions pos0.. . */
    void store(int l, float[] keys, float[] values, int n, int pos0) {
        int kvDim = kvHeads * headDim;
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < kvHeads; g++) {
                int dst = base(g) + (pos0 + i) * headDim;
                System.arraycopy(keys, i * kvDim + g * headDim, k[l], dst, headDim);
                System.arraycopy(values, i * kvDim + g * headDim, v[l], dst, headDim);
            }
        }
    }

    /** Offset of kv head g's position 0 within a layer's array. */
    int base(int g) {
        return g * capacity * headDim;
    }
}
