package org.slim4j.tensor.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The 2:4 and factor-pair kernels against the exact product in double over the dense matrix they stand for.
 * Tolerance: float32 summation error, 1e-5 of sum |x_k w_k| (the bound for a few hundred float adds is ~n * 2^-24).
 */
class NativeLinearTest {
    // n, rows, cols: odd row counts, column counts that leave a gather tail (12, 20, 36), batches around the tile of 16
    private static final int[][] SHAPES = {{1, 1, 4}, {1, 3, 12}, {2, 5, 20}, {1, 7, 36}, {15, 9, 36}, {16, 33, 64}, {17, 31, 100}, {33, 70, 384}, {1, 384, 384}, {3, 40, 1536}};

    @Test
    void sparse24MatchesTheDenseProduct() {
        Random rnd = new Random(11);
        for (int[] s : SHAPES) {
            int n = s[0], rows = s[1], cols = s[2];
            float[] w = gaussian(rnd, rows * cols), x = gaussian(rnd, n * cols);
            boolean[] keep = new boolean[w.length];
            for (int i = 0; i < w.length; i += 4) {
                int a = rnd.nextInt(4), b = (a + 1 + rnd.nextInt(3)) % 4;
                keep[i + a] = true;
                if (i % 12 != 0) keep[i + b] = true; // every third group keeps one only: padded with a zero slot
            }
            for (int i = 0; i < w.length; i++) if (!keep[i]) w[i] = 0;
            Sparse24Matrix m = Sparse24Matrix.of(rows, cols, w, keep);
            assertArrayEquals(w, m.dense(), "dense view " + rows + " x " + cols);
            for (boolean parallel : new boolean[] {false, true}) {
                float[] y = new float[n * rows];
                m.forward(x, n, y, parallel);
                check(w, x, y, n, rows, cols, "2:4 " + n + "," + rows + "," + cols + (parallel ? " parallel" : ""));
            }
        }
    }

    @Test
    void sparse24RefusesThreeOfFour() {
        boolean[] keep = {true, true, true, false};
        assertFalse(Sparse24Matrix.fits(1, 4, keep));
        assertThrows(IllegalArgumentException.class, () -> Sparse24Matrix.of(1, 4, new float[4], keep));
        assertThrows(IllegalArgumentException.class, () -> Sparse24Matrix.of(1, 6, new float[6], new boolean[6]));
    }

    @Test
    void factorPairMatchesTheMultipliedOutProduct() {
        Random rnd = new Random(5);
        for (int[] s : SHAPES) {
            int n = s[0], rows = s[1], cols = s[2];
            for (int rank : new int[] {1, 7, Math.min(rows, cols)}) {
                float[] a = gaussian(rnd, rows * rank), b = gaussian(rnd, rank * cols), x = gaussian(rnd, n * cols);
                float[] w = new float[rows * cols];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        double v = 0;
                        for (int k = 0; k < rank; k++) v += (double) a[r * rank + k] * b[k * cols + c];
                        w[r * cols + c] = (float) v;
                    }
                }
                float[] y = new float[n * rows];
                new FactorPair(rows, cols, rank, a, b).forward(x, n, y, rank % 2 == 1);
                check(w, x, y, n, rows, cols, "rank " + rank + " " + n + "," + rows + "," + cols);
            }
        }
    }

    private static void check(float[] w, float[] x, float[] y, int n, int rows, int cols, String what) {
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < rows; r++) {
                double want = 0, mag = 0;
                for (int c = 0; c < cols; c++) {
                    want += (double) x[i * cols + c] * w[r * cols + c];
                    mag += Math.abs((double) x[i * cols + c] * w[r * cols + c]);
                }
                assertEquals(want, y[i * rows + r], 1e-5 * mag + 1e-6, what + " at " + i + "," + r);
            }
        }
    }

    private static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }
}
