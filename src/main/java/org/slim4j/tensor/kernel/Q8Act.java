package org.slim4j.tensor.kernel;

import static org.slim4j.tensor.kernel.FloatKernels.F;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * One activation row quantized the way llama.cpp's quantize_row_q8_0 does (per 32-block scale amax/127, values
 * rounded half away from zero to [-127, 127]), done once per matrix-vector input so every weight row's dot product
 * runs on integers ({@link IntKernels}). Values are kept as shorts: the kernels multiply 16-bit lanes (AVX2 has no
 * VNNI and the Vector API no pmaddubsw), and shorts load without a widening step. {@code s[b] = d[b] * sum(q)}
 * lets the kernels fold weight offsets (Q4_0's -8, Q4_K's mins) into one scalar term per block.
 */
public final class Q8Act {
    public static final int BLOCK = 32;
    private static final float HALF = 0.5f;

    final short[] q;
    final float[] d, s;
    /** Per block, the sum of its first 16 codes (what {@link InterleavedQ4_0} needs for its low nibbles' offset). */
    final short[] sum16;
    /** The same codes as bytes, and each block's code sum: what the C kernels ({@link NativeKernels}) read. */
    final byte[] q8;
    final int[] sum;
    final MemorySegment q8Seg, qSeg, dSeg, sSeg, sumSeg, sum16Seg;
    private int cols = -1, rows;

    /** Room for one row of up to {@code maxCols} values. */
    public Q8Act(int maxCols) {
        this(1, maxCols);
    }

    /** Room for up to {@code maxRows} rows of up to {@code maxCols} values (a prompt batch, for the C kernels). */
    public Q8Act(int maxRows, int maxCols) {
        int blocks = Math.multiplyExact(maxRows, (maxCols + BLOCK - 1) / BLOCK);
        q = new short[blocks * BLOCK];
        q8 = new byte[blocks * BLOCK];
        d = new float[blocks];
        s = new float[blocks];
        sum = new int[blocks];
        sum16 = new short[blocks];
        q8Seg = MemorySegment.ofArray(q8);
        qSeg = MemorySegment.ofArray(q);
        dSeg = MemorySegment.ofArray(d);
        sSeg = MemorySegment.ofArray(s);
        sumSeg = MemorySegment.ofArray(sum);
        sum16Seg = MemorySegment.ofArray(sum16);
    }

    /** Columns of the rows held now, or -1 when the last rows could not be quantized (not whole 32-blocks). */
    public int cols() {
        return cols;
    }

    /** Rows held now. */
    public int rows() {
        return rows;
    }

    /** Quantizes x[xo, xo + n) as one row; n must fit this buffer. Rows that are not whole 32-blocks are marked unusable. */
    public void quantize(float[] x, int xo, int n) {
        quantizeRows(x, xo, 1, n);
    }

    /**
     * Quantizes {@code count} rows of {@code n} values, x[xo, xo + count * n), block after block: by the C kernels'
     * routine where they run (the same arithmetic: it is tested equal), else here.
     */
    public void quantizeRows(float[] x, int xo, int count, int n) {
        if (n % BLOCK != 0 || (long) count * n > q.length) {
            cols = -1;
            return;
        }
        if (NativeKernels.available()) {
            NativeKernels.quantize(x, xo, count * n, this);
            cols = n;
            rows = count;
            return;
        }
        quantizeJava(x, xo, count, n);
    }

    /** The Java routine, also the oracle of the C one. */
    void quantizeJava(float[] x, int xo, int count, int n) {
        for (int b = 0, nb = count * n / BLOCK; b < nb; b++) {
            int o = xo + b * BLOCK;
            FloatVector v0 = FloatVector.fromArray(F, x, o), v1 = FloatVector.fromArray(F, x, o + 8);
            FloatVector v2 = FloatVector.fromArray(F, x, o + 16), v3 = FloatVector.fromArray(F, x, o + 24);
            float amax = v0.abs().max(v1.abs()).max(v2.abs().max(v3.abs())).reduceLanes(VectorOperators.MAX);
            float db = amax / 127f, inv = amax != 0 ? 127f / amax : 0f;
            IntVector first = round(v0, inv, b * BLOCK).add(round(v1, inv, b * BLOCK + 8));
            IntVector sum = first.add(round(v2, inv, b * BLOCK + 16)).add(round(v3, inv, b * BLOCK + 24));
            sum16[b] = (short) first.reduceLanes(VectorOperators.ADD);
            int total = sum.reduceLanes(VectorOperators.ADD);
            d[b] = db;
            s[b] = db * total;
            this.sum[b] = total;
        }
        cols = n;
        rows = count;
    }

    /** roundf(v * inv) into q[at, at + 8); returns the rounded values. */
    private IntVector round(FloatVector v, float inv, int at) {
        FloatVector t = v.mul(inv);
        FloatVector half = t.reinterpretAsInts().and(0x80000000).or(Float.floatToRawIntBits(HALF)).reinterpretAsFloats();
        IntVector r = (IntVector) t.add(half).convert(VectorOperators.F2I, 0);
        ((ShortVector) r.convertShape(VectorOperators.I2S, ShortVector.SPECIES_128, 0)).intoArray(q, at);
        ((ByteVector) r.convertShape(VectorOperators.I2B, ByteVector.SPECIES_64, 0)).intoArray(q8, at);
        return r;
    }
}
