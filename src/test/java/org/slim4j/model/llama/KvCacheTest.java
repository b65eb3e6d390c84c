package org.slim4j.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.slim4j.tensor.kernel.KvCacheOptions;
import org.slim4j.tensor.kernel.KvCacheType;
import org.slim4j.util.BadInputException;

/**
 * The KV cache types against the float32 cache, through {@link Attention} as the engines call it: random keys (with a
 * few large channels, as RoPE'd keys have) and values stored in uneven batches, every row of every batch attending as
 * soon as it is stored. Checks: each type's error relative to float32 stays within its bound (the bounds are this
 * data's: three channels 8x the rest make sharp attention, so q8_0's 2% is no engine's figure); block types compute
 * exactly what a float32 cache of their dequantized rows computes; the outputs do not depend on how the positions were batched (KIVI's full-precision window holds every position
 * a row of a batch reads unquantized); a window longer than the sequence reproduces float32 exactly; the bytes.
 */
class KvCacheTest {
    static final LlamaConfig C = new LlamaConfig("llama", 256, 2, 4, 2, 64, 512, 100, 1e-5f, 10000, null,
            LlamaConfig.RopeLayout.values()[0], true, false, 4096, 1, new int[] {2}, 0);
    static final int T = 300, ROWS = 64;

    /** Keys with three large channels, values plain, [layer][position][kvDim]; queries [position][qDim]. */
    static final float[][][] KEYS = new float[C.layers()][T][C.kvDim()], VALUES = new float[C.layers()][T][C.kvDim()];
    static final float[][] Q = new float[T][C.qDim()];

    static {
        SplittableRandom r = new SplittableRandom(11);
        for (int l = 0; l < C.layers(); l++) {
            for (int t = 0; t < T; t++) {
                for (int j = 0; j < C.kvDim(); j++) {
                    int c = j % C.headDim();
                    KEYS[l][t][j] = (float) (r.nextGaussian() * (c == 3 || c == 40 || c == 41 ? 8 : 1));
                    VALUES[l][t][j] = (float) r.nextGaussian();
                }
            }
        }
        for (int t = 0; t < T; t++) for (int j = 0; j < C.qDim(); j++) Q[t][j] = (float) r.nextGaussian();
    }

    /** Attention outputs [layer][position][qDim] of every position, stored in batches of the given sizes (repeated). */
    static float[][][] run(KvCacheOptions o, int... batches) {
        KvCache cache = new KvCache(C, T, ROWS, o);
        Attention a = new Attention(C);
        float[][][] out = new float[C.layers()][T][C.qDim()];
        float[] s = new float[cache.scoresLength()];
        for (int pos0 = 0, b = 0; pos0 < T; b++) {
            int n = Math.min(Math.min(batches[b % batches.length], ROWS), T - pos0);
            for (int l = 0; l < C.layers(); l++) {
                float[] k = new float[n * C.kvDim()], v = new float[n * C.kvDim()], q = new float[n * C.qDim()], att = new float[n * C.qDim()];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(KEYS[l][pos0 + i], 0, k, i * C.kvDim(), C.kvDim());
                    System.arraycopy(VALUES[l][pos0 + i], 0, v, i * C.kvDim(), C.kvDim());
                    System.arraycopy(Q[pos0 + i], 0, q, i * C.qDim(), C.qDim());
                }
                cache.store(l, k, v, n, pos0);
                for (int i = 0; i < n; i++) for (int h = 0; h < C.heads(); h++) a.row(cache, l, q, i, pos0, h, s, att);
                for (int i = 0; i < n; i++) System.arraycopy(att, i * C.qDim(), out[l][pos0 + i], 0, C.qDim());
            }
            pos0 += n;
        }
        return out;
    }

    /** Root-mean-square difference over every output, relative to the float32 outputs' root mean square. */
    static double relError(float[][][] got, float[][][] want) {
        double d = 0, w = 0;
        for (int l = 0; l < got.length; l++) {
            for (int t = 0; t < T; t++) {
                for (int j = 0; j < C.qDim(); j++) {
                    d += Math.pow(got[l][t][j] - want[l][t][j], 2);
                    w += Math.pow(want[l][t][j], 2);
                }
            }
        }
        return Math.sqrt(d / w);
    }

    static KvCacheOptions opts(String k, String v, boolean hadamard, int window, int group) {
        return new KvCacheOptions(KvCacheType.byName(k), KvCacheType.byName(v), hadamard, window, group);
    }

    @ParameterizedTest
    @CsvSource({
        "f16, f16, false, 0.001",
        "q8_0, q8_0, false, 0.03",
        "q4_0, q4_0, false, 0.4",
        "q4_0, q4_0, true, 0.2",
        "kivi4, kivi4, false, 0.1",
        "kivi2, kivi2, false, 0.5",
        "q8_0, q4_0, false, 0.12",
        "kivi4, f32, false, 0.08"})
    void errorStaysWithinItsBoundAndDoesNotDependOnBatching(String k, String v, boolean hadamard, double bound) {
        KvCacheOptions o = opts(k, v, hadamard, 48, 32);
        float[][][] f32 = run(KvCacheOptions.F32, 37, 1, 1, 64, 5);
        float[][][] a = run(o, 37, 1, 1, 64, 5), b = run(o, 1), c = run(o, 64);
        double e = relError(a, f32);
        System.out.printf("%s/%s%s: relative error %.5f%n", k, v, hadamard ? " (Hadamard)" : "", e);
        assertTrue(e <= bound, k + "/" + v + " error " + e);
        assertTrue(e > 0, "a quantized cache changes something");
        assertEquals(0, relError(a, b), 1e-6, "batches of 1");
        assertEquals(0, relError(a, c), 1e-6, "batches of 64");
    }

    @Test
    void hadamardHelpsQ4_0KeysWithLargeChannelsAndKiviKeysPerChannelBeatQ4_0() {
        float[][][] f32 = run(KvCacheOptions.F32, 50);
        double plain = relError(run(opts("q4_0", "f32", false, 0, 32), 50), f32);
        double rotated = relError(run(opts("q4_0", "f32", true, 0, 32), 50), f32);
        double kivi = relError(run(opts("kivi4", "f32", false, 0, 32), 50), f32);
        System.out.printf("q4_0 keys %.5f, rotated %.5f, kivi4 keys %.5f%n", plain, rotated, kivi);
        assertTrue(rotated < plain && kivi < plain, plain + " " + rotated + " " + kivi);
    }

    /** Equal up to summation order: the Vector API's reductions add in another order before C2 compiles them. */
    @Test
    void aWindowLongerThanTheSequenceIsFloat32() {
        float[][][] f32 = run(KvCacheOptions.F32, 37, 1, 64);
        assertEquals(0, relError(run(opts("kivi2", "kivi2", false, T, 32), 37, 1, 64), f32), 1e-6);
        assertEquals(0, relError(run(opts("f32", "f32", false, 128, 32), 1), f32), 1e-6);
    }

    /** A q8_0 or q4_0 cache computes what a float32 cache of the rows it stores (dequantized) computes. */
    @ParameterizedTest
    @CsvSource({"q8_0, false", "q4_0, false", "q4_0, true"})
    void blockRowsComputeWhatTheirDequantizedRowsDo(String type, boolean hadamard) {
        org.slim4j.tensor.DType dt = KvCacheType.byName(type).rowType;
        var enc = org.slim4j.tensor.quant.BlockCodecs.encoder(dt);
        KvCache q = new KvCache(C, T, ROWS, opts(type, type, hadamard, 0, 32)), ref = new KvCache(C, T);
        Attention a = new Attention(C);
        int l = 1, n = 40;
        float[] k = new float[n * C.kvDim()], v = new float[n * C.kvDim()], kd = new float[k.length], vd = new float[v.length];
        java.lang.foreign.MemorySegment blocks = java.lang.foreign.MemorySegment.ofArray(new byte[(int) dt.bytesFor(C.headDim())]);
        for (int i = 0; i < n; i++) {
            System.arraycopy(KEYS[l][i], 0, k, i * C.kvDim(), C.kvDim());
            System.arraycopy(VALUES[l][i], 0, v, i * C.kvDim(), C.kvDim());
            for (int g = 0; g < C.kvHeads(); g++) {
                for (float[][] pair : new float[][][] {{k, kd}, {v, vd}}) {
                    float[] row = java.util.Arrays.copyOfRange(pair[0], i * C.kvDim() + g * C.headDim(), i * C.kvDim() + (g + 1) * C.headDim());
                    if (hadamard) org.slim4j.tensor.kernel.Hadamard.transform(row, 0, row.length);
                    enc.encode(row, 0, blocks, 0, row.length);
                    org.slim4j.tensor.Dequant.decode(dt, blocks, 0, pair[1], i * C.kvDim() + g * C.headDim(), C.headDim());
                }
            }
        }
        q.store(l, k, v, n, 0);
        ref.store(l, kd, vd, n, 0);
        float[] qRows = new float[n * C.qDim()], got = new float[qRows.length], want = new float[qRows.length], s = new float[q.scoresLength()];
        for (int i = 0; i < n; i++) System.arraycopy(Q[i], 0, qRows, i * C.qDim(), C.qDim());
        float[] qRot = qRows.clone();
        if (hadamard) for (int j = 0; j < qRot.length; j += C.headDim()) org.slim4j.tensor.kernel.Hadamard.transform(qRot, j, C.headDim());
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < C.heads(); h++) {
                a.row(q, l, qRows, i, 0, h, s, got);
                a.row(ref, l, qRot, i, 0, h, s, want);
            }
        }
        if (hadamard) for (int j = 0; j < want.length; j += C.headDim()) org.slim4j.tensor.kernel.Hadamard.transform(want, j, C.headDim());
        for (int j = 0; j < want.length; j++) assertEquals(want[j], got[j], 2e-5, type + " output " + j);
    }

    @Test
    void bytesFollowTheTypes() {
        long f32 = 2L * C.layers() * T * C.kvDim() * 4;
        assertEquals(f32, new KvCache(C, T).bytes());
        assertEquals(f32 * 34 / 32 / 4, new KvCache(C, T, ROWS, opts("q8_0", "q8_0", false, 0, 32)).bytes());
        assertEquals(f32 * 18 / 32 / 4, new KvCache(C, T, ROWS, opts("q4_0", "q4_0", false, 0, 32)).bytes());
        assertEquals(f32 / 2, new KvCache(C, T, ROWS, opts("f16", "f16", false, 0, 32)).bytes());
        // KIVI-4: 4-bit codes, fp16 scale and min per 32 tokens (keys) or channels (values), and a float32 window of
        // window + group + batch positions per side
        long window = 2L * C.layers() * (ROWS + 16 + 32) * C.kvDim() * 4;
        long codes = 2L * C.layers() * T * C.kvDim() / 2;
        long keyScales = 2L * 2 * C.layers() * (T / 32) * C.kvDim(), valueScales = 2L * 2 * C.layers() * T * C.kvDim() / 32;
        assertEquals(window + codes + keyScales + valueScales, new KvCache(C, T, ROWS, opts("kivi4", "kivi4", false, 16, 32)).bytes());
    }

    @Test
    void headsTheTypeCannotTakeAreRefused() {
        LlamaConfig odd = new LlamaConfig("llama", 240, 1, 4, 2, 60, 512, 100, 1e-5f, 10000, null,
                LlamaConfig.RopeLayout.values()[0], true, false, 4096, 1, new int[] {2}, 0);
        BadInputException e = assertThrows(BadInputException.class, () -> KvCache.check(odd, opts("q8_0", "f32", false, 0, 32)));
        assertTrue(e.getMessage().startsWith("--cache-type-k: q8_0 needs a head dimension that is a multiple of 32"), e.getMessage());
        assertThrows(BadInputException.class, () -> KvCache.check(C, opts("f32", "kivi4", false, 16, 48)));
        LlamaConfig wide = new LlamaConfig("llama", 384, 1, 4, 2, 96, 512, 100, 1e-5f, 10000, null,
                LlamaConfig.RopeLayout.values()[0], true, false, 4096, 1, new int[] {2}, 0);
        KvCache.check(wide, opts("q4_0", "q8_0", false, 0, 32));
        e = assertThrows(BadInputException.class, () -> KvCache.check(wide, opts("q4_0", "q8_0", true, 0, 32)));
        assertTrue(e.getMessage().contains("power of two"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> opts("f16", "kivi4", true, 0, 32));
    }
}
