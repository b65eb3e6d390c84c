package org.slim4j.tensor.kernel;

import java.util.stream.IntStream;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 2:4 semi-structured sparse W [rows, cols]: at most two non-zeros in every group of four consecutive input
 * columns (the pattern of sparse tensor cores, Mishra et al. 2021, "Accelerating Sparse Deep Neural Networks").
 * Held as the cols/2 kept values of each row and, for each, its position 0..3 inside its group (one byte): 2.5 bytes
 * per weight instead of 4. Half the multiply-adds of the dense product, but CPUs without sparse units must fetch
 * each input by index:
 * one input row gathers the 8 inputs of 8 kept values (vgatherdps on AVX2) for one FMA; several input rows are
 * first transposed into tiles of 16 [cols][16], so a kept value is a broadcast times two contiguous vectors (one
 * load per FMA, where the dense 3 x 3 kernel needs 2/3 of a load).
 */
public final class Sparse24Matrix implements NativeLinear {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final int L = 8, TILE = 16, ROWS_PER_TASK = 32;
    // kept values k..k+7 (k a multiple of 8) lie in groups k/2 .. k/2 + 3: their group's first column is 2k + this
    private static final int[] GROUP_BASE = {0, 0, 4, 4, 8, 8, 12, 12};

    private final int rows, cols, half;
    private final float[] values;
    private final byte[] pos;

    private Sparse24Matrix(int rows, int cols, float[] values, byte[] pos) {
        this.rows = rows;
        this.cols = cols;
        this.half = cols / 2;
        this.values = values;
        this.pos = pos;
    }

    /**
     * From a dense row-major w and its keep-mask; a group with fewer than two kept entries is padded with zero
     * values. Throws IllegalArgumentException when cols is not a multiple of 4 or a group keeps more than two.
     */
    public static Sparse24Matrix of(int rows, int cols, float[] w, boolean[] keep) {
        if (cols % 4 != 0) throw new IllegalArgumentException("2:4 needs a multiple of 4 columns, got " + cols);
        if (w.length != rows * cols || keep.length != w.length) throw new IllegalArgumentException("sizes do not match " + rows + " x " + cols);
        int half = cols / 2;
        float[] v = new float[rows * half];
        byte[] p = new byte[rows * half];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / 4; g++) {
                int o = r * cols + 4 * g, slot = r * half + 2 * g, kept = 0;
                for (int i = 0; i < 4; i++) {
                    if (!keep[o + i]) continue;
                    if (kept == 2) throw new IllegalArgumentException("row " + r + ", columns " + 4 * g + ".." + (4 * g + 3) + " keep more than 2 of 4");
                    v[slot + kept] = w[o + i];
                    p[slot + kept++] = (byte) i;
                }
                for (int i = 0; kept < 2; i++) { // pad with an unused position and a zero value
                    if (!keep[o + i]) p[slot + kept++] = (byte) i;
                }
            }
        }
        return new Sparse24Matrix(rows, cols, v, p);
    }

    /** True when every group of 4 consecutive columns keeps at most 2 (and cols is a multiple of 4). */
    public static boolean fits(int rows, int cols, boolean[] keep) {
        if (cols % 4 != 0) return false;
        for (int i = 0; i < rows * cols; i += 4) {
            int k = (keep[i] ? 1 : 0) + (keep[i + 1] ? 1 : 0) + (keep[i + 2] ? 1 : 0) + (keep[i + 3] ? 1 : 0);
            if (k > 2) return false;
        }
        return true;
    }

    @Override
    public void forward(float[] x, int n, float[] y, boolean parallel) {
        if (x.length < n * cols || y.length < n * rows) throw new IllegalArgumentException("sizes: x " + x.length + ", y " + y.length + ", n " + n);
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        IntStream range = IntStream.range(0, tasks);
        if (parallel) range = range.parallel();
        if (n == 1) {
            range.forEach(t -> {
                int[] idx = new int[L];
                for (int r = t * ROWS_PER_TASK, end = Math.min(rows, r + ROWS_PER_TASK); r < end; r++) y[r] = gatherDot(r, x, idx);
            });
            return;
        }
        float[] xt = transpose(x, n);
        range.forEach(t -> {
            float[] lanes = new float[TILE];
            for (int r = t * ROWS_PER_TASK, end = Math.min(rows, r + ROWS_PER_TASK); r < end; r++) broadcastRows(r, xt, n, y, lanes);
        });
    }

    private float gatherDot(int r, float[] x, int[] idx) {
        int base = r * half, k = 0;
        FloatVector acc = FloatVector.zero(F);
        IntVector groups = IntVector.fromArray(I, GROUP_BASE, 0);
        for (; k + L <= half; k += L) {
            IntVector p = (IntVector) ByteVector.fromArray(B, pos, base + k).convertShape(VectorOperators.B2I, I, 0);
            p.add(groups).add(2 * k).intoArray(idx, 0);
            acc = FloatVector.fromArray(F, values, base + k).fma(FloatVector.fromArray(F, x, 0, idx, 0), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; k < half; k++) s += values[base + k] * x[2 * (k & ~1) + pos[base + k]];
        return s;
    }

    /** x [n, cols] into tiles of TILE input rows, each [cols][TILE], zero-padded past n. */
    private float[] transpose(float[] x, int n) {
        int tiles = (n + TILE - 1) / TILE;
        float[] xt = new float[tiles * cols * TILE];
        for (int i = 0; i < n; i++) {
            int o = (i / TILE) * cols * TILE + i % TILE;
            for (int c = 0; c < cols; c++) xt[o + c * TILE] = x[i * cols + c];
        }
        return xt;
    }

    private void broadcastRows(int r, float[] xt, int n, float[] y, float[] lanes) {
        int base = r * half;
        for (int t = 0; t * TILE < n; t++) {
            int xb = t * cols * TILE;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
            for (int k = 0; k < half; k += 2) { // kept values k, k+1 share group k/2, whose first column is 2k
                int o0 = xb + (2 * k + pos[base + k]) * TILE, o1 = xb + (2 * k + pos[base + k + 1]) * TILE;
                FloatVector v0 = FloatVector.broadcast(F, values[base + k]), v1 = FloatVector.broadcast(F, values[base + k + 1]);
                a0 = v0.fma(FloatVector.fromArray(F, xt, o0), a0);
                a1 = v0.fma(FloatVector.fromArray(F, xt, o0 + L), a1);
                b0 = v1.fma(FloatVector.fromArray(F, xt, o1), b0);
                b1 = v1.fma(FloatVector.fromArray(F, xt, o1 + L), b1);
            }
            a0.add(b0).intoArray(lanes, 0);
            a1.add(b1).intoArray(lanes, L);
            for (int j = 0, m = Math.min(TILE, n - t * TILE); j < m; j++) y[(t * TILE + j) * rows + r] = lanes[j];
        }
    }

    /** The dense matrix this holds, [rows, cols] row-major. */
    public float[] dense() {
        float[] w = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < half; k++) w[r * cols + 2 * (k & ~1) + pos[r * half + k]] += values[r * half + k];
        }
        return w;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public long bytes() {
        return 5L * rows * half;
    }

    @Override
    public String kind() {
        return "2:4";
    }
}
