package org.slim4j.model.llama;

import org.slim4j.tensor.kernel.Hadamard;
import org.slim4j.tensor.kernel.Kivi;
import org.slim4j.tensor.kernel.KvCacheOptions;
import org.slim4j.tensor.kernel.KvCacheType;
import org.slim4j.tensor.kernel.TypeKernels;
import org.slim4j.util.BadInputException;

/**
 * Keys and values of every layer for positions [0, capacity), each side stored as its {@link KvCacheType} says:
 * float32 ({@link FloatRows}, the default and the reference engine's), a ggml row type ({@link BlockRows}: f16, q8_0,
 * q4_0, optionally Hadamard-rotated) or KIVI ({@link KiviKeys}, {@link KiviValues}). Both engines use it, and
 * {@link Attention} reads every type in place through {@link Keys#scores} and {@link Values#accumulate}: nothing is
 * dequantized into a float copy of the cache.
 */
final class KvCache {
    /** The key side: stores rows and scores a query against them. */
    interface Keys {
        /** Appends n rows ([n][kvHeads * headDim]) of layer l at positions pos0.. . */
        void store(int l, float[] rows, int n, int pos0);

        /**
         * s[t] = scale * (q . key t) for t in [from, pos], kv head g, q's head at {@code qOff} (a rotating store rotates
         * that slice in place); s holds at least {@link #scoresLength} floats, the ones past capacity being scratch.
         */
        void scores(int l, int g, float[] q, int qOff, int from, int pos, float scale, float[] s);

        /** Floats of scratch the scores need past the cache's capacity. */
        default int scratch() {
            return 0;
        }

        long bytes();
    }

    /** The value side: stores rows and adds them up weighted. */
    interface Values {
        void store(int l, float[] rows, int n, int pos0);

        /** out[outOff, outOff + headDim) += sum over t in [from, pos] of s[t] * inv * value t, kv head g. */
        void accumulate(int l, int g, float[] s, float inv, int from, int pos, float[] out, int outOff);

        long bytes();
    }

    final Keys k;
    final Values v;
    final int capacity;

    /** float32 keys and values (the reference engine's cache). */
    KvCache(LlamaConfig c, int capacity) {
        this(c, capacity, capacity, KvCacheOptions.F32);
    }

    /** Keys and values as {@code o} says, for batches of up to {@code rows} positions (KIVI's window holds a batch more). */
    KvCache(LlamaConfig c, int capacity, int rows, KvCacheOptions o) {
        check(c, o);
        checkSize(c, capacity);
        this.capacity = capacity;
        this.k = switch (o.k()) {
            case F32 -> new FloatRows(c, capacity);
            case KIVI4, KIVI2 -> new KiviKeys(c, capacity, rows, o);
            default -> new BlockRows(c, capacity, o.k().rowType, o.hadamard());
        };
        this.v = switch (o.v()) {
            case F32 -> new FloatRows(c, capacity);
            case KIVI4, KIVI2 -> new KiviValues(c, capacity, rows, o);
            default -> new BlockRows(c, capacity, o.v().rowType, o.hadamard());
        };
    }

    /** A BadInputException when this model's heads cannot be stored as {@code o} says. */
    static void check(LlamaConfig c, KvCacheOptions o) {
        int d = c.headDim();
        for (KvCacheType t : new KvCacheType[] {o.k(), o.v()}) {
            String side = t == o.k() ? "--cache-type-k" : "--cache-type-v";
            if (t.rowType != null && t.rowType.isQuantized() && d % t.rowType.blockSize != 0) {
                throw new BadInputException(side, null, t.cliName() + " needs a head dimension that is a multiple of " + t.rowType.blockSize + ", the model's is " + d);
            }
            if (t.rowType != null && t != KvCacheType.F32 && !TypeKernels.of(t.rowType).rowKernels()) {
                throw new BadInputException(side, null, t.cliName() + " has no row kernels");
            }
            if (t.kivi() && d % Kivi.BLOCK != 0) {
                throw new BadInputException(side, null, t.cliName() + " needs a head dimension that is a multiple of " + Kivi.BLOCK + ", the model's is " + d);
            }
        }
        if (o.v().kivi() && (o.group() % Kivi.BLOCK != 0 || d % o.group() != 0)) {
            throw new BadInputException("--kivi-group", null, "values are grouped by channels: the group (" + o.group() + ") must be a multiple of "
                    + Kivi.BLOCK + " that divides the head dimension " + d);
        }
        if (o.hadamard() && !Hadamard.fits(d)) throw new BadInputException("--cache-hadamard", null, "needs a head dimension that is a power of two, the model's is " + d);
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
        k.store(l, keys, n, pos0);
        v.store(l, values, n, pos0);
    }

    /** Floats a worker's score array needs: one per position, then the keys' scratch. */
    int scoresLength() {
        return capacity + k.scratch();
    }

    /** Bytes the cache holds. */
    long bytes() {
        return k.bytes() + v.bytes();
    }
}
