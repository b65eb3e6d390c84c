package org.slim4j.model.llama;

import org.slim4j.tensor.kernel.Kivi;
import org.slim4j.tensor.kernel.KvCacheOptions;

/**
 * What both KIVI sides hold: packed codes of every position [layer][kv head][position][row bytes], fp16 scales and
 * minimums (their layout is the side's), and the full-precision window of recent positions ({@link FloatRows} of
 * window + group + batch slots, so it holds every position any row of a batch reads unquantized).
 */
abstract class KiviRows {
    final FloatRows recent;
    final byte[][] codes;
    final short[][] scale, min;
    final int bits, window, group, kvHeads, headDim, capacity, rowBytes;

    /** {@code scalesPerHead}: scales (and minimums) per layer and kv head. */
    KiviRows(LlamaConfig c, int capacity, int rows, KvCacheOptions o, int bits, int scalesPerHead) {
        this.bits = bits;
        this.window = o.window();
        this.group = o.group();
        this.kvHeads = c.kvHeads();
        this.headDim = c.headDim();
        this.capacity = capacity;
        this.rowBytes = Kivi.rowBytes(headDim, bits);
        this.recent = new FloatRows(c, capacity, rows + window + group);
        this.codes = new byte[c.layers()][Math.multiplyExact(kvHeads * capacity, rowBytes)];
        this.scale = new short[c.layers()][Math.multiplyExact(kvHeads, scalesPerHead)];
        this.min = new short[c.layers()][scale[0].length];
    }

    /** Where position t of kv head g's codes start in a layer's array. */
    int rowOffset(int g, int t) {
        return (g * capacity + t) * rowBytes;
    }

    /** Positions below this one are read quantized by the query at {@code pos}. */
    int quantizedBelow(int pos) {
        return Kivi.quantizedBelow(pos, window, group);
    }

    public long bytes() {
        return recent.bytes() + (long) codes.length * (codes[0].length + 2L * scale[0].length + 2L * min[0].length);
    }
}
