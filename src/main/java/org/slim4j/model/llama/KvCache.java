package org.slim4j.model.llama;

/** Keys and values of every layer for positions [0, capacity), float32, row-major [position][kvHeads * headDim]. */
final class KvCache {
    final float[][] k;
    final float[][] v;
    final int capacity;

    KvCache(LlamaConfig c, int capacity) {
        this.capacity = capacity;
        this.k = new float[c.layers()][Math.multiplyExact(capacity, c.kvDim())];
        this.v = new float[c.layers()][Math.multiplyExact(capacity, c.kvDim())];
    }
}
