package org.slim4j.tensor.kernel;

/**
 * How a decoder's KV cache stores keys and values ({@link KvCacheType} each), chosen per run.
 *
 * @param k        the keys' type
 * @param v        the values' type
 * @param hadamard block-quantized rows (q8_0, q4_0) are rotated by the normalized Walsh-Hadamard transform of the
 *                 head dimension before they are quantized (queries are rotated alike, attention outputs rotated back),
 *                 which spreads outlier channels over the block, as QuaRot does for 4-bit caches
 * @param window   KIVI: the most recent {@code window} tokens (at least) are read in full precision
 * @param group    KIVI: tokens per key group (each channel's scale and minimum cover that many tokens) and channels
 *                 per value group (each token's scale and minimum cover that many channels)
 */
public record KvCacheOptions(KvCacheType k, KvCacheType v, boolean hadamard, int window, int group) {
    /** float32 keys and values, as the engines always had. */
    public static final KvCacheOptions F32 = new KvCacheOptions(KvCacheType.F32, KvCacheType.F32, false, 128, 32);

    public KvCacheOptions {
        if (k == null || v == null) throw new IllegalArgumentException("cache types must not be null");
        if (window < 0) throw new IllegalArgumentException("KIVI window must be >= 0, got " + window);
        if (group < 1) throw new IllegalArgumentException("KIVI group must be >= 1, got " + group);
        if (hadamard && !k.blockQuantized() && !v.blockQuantized()) {
            throw new IllegalArgumentException("the Hadamard rotation applies to q8_0 and q4_0 caches, not " + k.cliName() + "/" + v.cliName());
        }
    }

    /** Keys and values of these types, with KIVI's defaults (window 128, groups of 32) and no rotation. */
    public static KvCacheOptions of(KvCacheType k, KvCacheType v) {
        return new KvCacheOptions(k, v, false, F32.window, F32.group);
    }

    public KvCacheOptions withHadamard(boolean on) {
        return new KvCacheOptions(k, v, on, window, group);
    }

    public KvCacheOptions withKivi(int window, int group) {
        return new KvCacheOptions(k, v, hadamard, window, group);
    }

    /** E.g. "k q8_0, v q4_0 (Hadamard)" or "k kivi4, v kivi4 (window 128, group 32)". */
    public String describe() {
        String s = "k " + k.cliName() + ", v " + v.cliName();
        if (hadamard) s += " (Hadamard)";
        if (k.kivi() || v.kivi()) s += " (window " + window + ", group " + group + ")";
        return s;
    }
}
