package org.slim4j.model.llama;

import org.slim4j.util.BadInputException;

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
        checkSize(c, capacity);
        this.capacity = capacity;
        this.kvHeads = c.kvHeads();
        this.headDim = c.headDim();
        this.k = new float[c.layers()][Math.multiplyExact(capacity, c.kvDim())];
        this.v = new float[c.layers()][Math.multiplyExact(capacity, c.kvDim())];
    }

    /**
     * Refuses a cache that cannot be allocated before trying: a file's context length (up to 2^31 - 1) times a large
     * -n once sized the cache without a bound and ended in an OutOfMemoryError after gigabytes of resident memory.
     */
    static void checkSize(LlamaConfig c, int capacity) {
        long perLayer = (long) capacity * c.kvDim();
        long bytes = 2L * 4 * c.layers() * perLayer;
        long heap = Runtime.getRuntime().maxMemory();
        if (perLayer > Integer.MAX_VALUE - 8 || bytes > heap) {
            throw new BadInputException("kv cache", null, capacity + " positions x " + c.layers() + " layers x " + c.kvDim()
                    + " keys and values need " + (bytes >> 20) + " MiB, more than the " + (heap >> 20) + " MiB heap: ask for fewer"
                    + " positions (-n, -c) or give the JVM more (SLIM4J_JAVA_OPTS=-Xmx...)");
        }
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
