package org.slim4j.compress;

import java.util.stream.IntStream;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dense Cholesky factorisation and lower-triangular inverse in double precision, in place and blocked (the shapes of
 * LAPACK's potrf and trtri): a panel of {@code NB} columns at a time, and the panel's update of the rest of the
 * matrix as a matrix product in register tiles of 4 rows x 2 vectors, the tiles split among the cores.
 * <p>
 * In place because GPTQ of an 8192-input layer needs them on 8192^2 doubles (537 MB a copy). Row-major [n, n]
 * arrays; only the lower triangle (diagonal included) is read or written, so the strict upper triangle keeps what it
 * held: for a symmetric input, a copy of the input, from which a failed factorisation can be restored.
 */
public final class Cholesky {
    private Cholesky() {}

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int NB = 64; // panel width
    private static final int TR = 4; // rows of a register tile

    /**
     * The lower triangle of a (symmetric, positive definite) becomes L with L L^T = a. False when a is not numerically
     * positive definite; its lower triangle is then partly overwritten.
     */
    public static boolean lowerInPlace(double[] a, int n) {
        double[] panel = new double[Math.min(NB, n) * n];
        for (int k0 = 0; k0 < n; k0 += NB) {
            int k1 = Math.min(n, k0 + NB), b = k1 - k0, m = n - k1;
            for (int j = k0; j < k1; j++) { // the diagonal block, column by column
                int rj = j * n;
                double d = a[rj + j];
                for (int k = k0; k < j; k++) d -= a[rj + k] * a[rj + k];
                if (!(d > 0)) return false;
                double ljj = Math.sqrt(d);
                a[rj + j] = ljj;
                for (int i = j + 1; i < k1; i++) a[i * n + j] = (a[i * n + j] - dot(a, i * n + k0, a, rj + k0, j - k0)) / ljj;
            }
            if (m == 0) break;
            final int c0 = k0, c1 = k1;
            IntStream.range(k1, n).parallel().forEach(i -> { // the panel below it: L21 = A21 L11^-T
                int ri = i * n;
                for (int j = c0; j < c1; j++) a[ri + j] = (a[ri + j] - dot(a, ri + c0, a, j * n + c0, j - c0)) / a[j * n + j];
            });
            for (int i = 0; i < m; i++) for (int k = 0; k < b; k++) panel[k * m + i] = a[(k1 + i) * n + k0 + k]; // L21^T
            IntStream.range(0, (m + TR - 1) / TR).parallel().forEach(t -> { // the rest: A22 -= L21 L21^T, lower triangle
                int i0 = c1 + t * TR, rows = Math.min(TR, n - i0);
                gemm(a, i0 * n + c0, n, panel, 0, m, a, i0 * n + c1, n, rows, i0 - c1, b, -1);
                for (int i = i0; i < i0 + rows; i++) { // the tile's own corner of the diagonal
                    for (int j = i0; j <= i; j++) a[i * n + j] -= dot(a, i * n + c0, a, j * n + c0, b);
                }
            });
        }
        return true;
    }

    /** The lower triangle of l (lower triangular, nonzero diagonal) becomes L^-1, also lower triangular. */
    public static void invertLowerInPlace(double[] l, int n) {
        double[] panel = new double[Math.min(NB, n) * n];
        for (int k0 = (n - 1) / NB * NB; k0 >= 0; k0 -= NB) { // bottom-up: the block below and right is already X22 = L22^-1
            int k1 = Math.min(n, k0 + NB), b = k1 - k0, m = n - k1;
            for (int i = k0; i < k1; i++) { // X11 = L11^-1, row by row: row i's entries are read before being overwritten
                int ri = i * n;
                for (int j = k0; j < i; j++) {
                    double s = 0;
                    for (int k = j; k < i; k++) s += l[ri + k] * l[k * n + j];
                    l[ri + j] = -s / l[ri + i];
                }
                l[ri + i] = 1 / l[ri + i];
            }
            if (m == 0) continue;
            for (int i = 0; i < m; i++) System.arraycopy(l, (k1 + i) * n + k0, panel, i * b, b); // L21 [m, b]
            final int c0 = k0, c1 = k1;
            IntStream.range(0, (m + TR - 1) / TR).parallel().forEach(t -> { // X21 = -X22 L21 X11
                int i0 = c1 + t * TR, rows = Math.min(TR, n - i0);
                double[] x = new double[rows * b]; // this tile's rows of X22 L21
                gemm(l, i0 * n + c1, n, panel, 0, b, x, 0, b, rows, b, i0 - c1, 1);
                for (int r = 0; r < rows; r++) {
                    int ri = (i0 + r) * n;
                    for (int q = i0; q <= i0 + r; q++) { // X22's entries on the tile's own corner of the diagonal
                        double v = l[ri + q];
                        int pq = (q - c1) * b;
                        for (int c = 0; c < b; c++) x[r * b + c] += v * panel[pq + c];
                    }
                    for (int c = 0; c < b; c++) l[ri + c0 + c] = 0;
                    for (int s = 0; s < b; s++) { // times X11 (lower): row s of X11 reaches columns <= s
                        double v = -x[r * b + s];
                        int rs = (c0 + s) * n + c0;
                        for (int c = 0; c <= s; c++) l[ri + c0 + c] += v * l[rs + c];
                    }
                }
            });
        }
    }

    /** Lower L with L L^T = a (a copy; its upper triangle zero), or null when a is not (numerically) positive definite. */
    public static double[] lower(double[] a, int n) {
        double[] l = a.clone();
        if (!lowerInPlace(l, n)) return null;
        zeroUpper(l, n);
        return l;
    }

    /** L^-1 of a lower-triangular L (a copy; its upper triangle zero). */
    public static double[] invertLower(double[] l, int n) {
        double[] x = l.clone();
        invertLowerInPlace(x, n);
        zeroUpper(x, n);
        return x;
    }

    /** Zeroes the strict upper triangle. */
    public static void zeroUpper(double[] a, int n) {
        for (int i = 0; i < n; i++) java.util.Arrays.fill(a, i * n + i + 1, (i + 1) * n, 0);
    }

    private static double dot(double[] x, int xo, double[] y, int yo, int len) {
        double s = 0;
        for (int k = 0; k < len; k++) s += x[xo + k] * y[yo + k];
        return s;
    }

    /**
     * c[r, j] += sign * sum_k a[r, k] b[k, j] for r < rows, j < cols, k < depth (row-major, given leading dimensions).
     * Column strips outside, row tiles inside: a strip of b (depth x 2 vectors) stays in cache for every row.
     */
    public static void gemm(double[] a, int ao, int lda, double[] b, int bo, int ldb, double[] c, int co, int ldc,
                            int rows, int cols, int depth, double sign) {
        int w = 2 * D.length(), full = rows / TR * TR;
        int j = 0;
        for (; j + w <= cols; j += w) {
            for (int r = 0; r < full; r += TR) tile(a, ao + r * lda, lda, b, bo + j, ldb, c, co + r * ldc + j, ldc, depth, sign);
        }
        if (j < cols && full > 0) axpyRows(a, ao, lda, b, bo + j, ldb, c, co + j, ldc, full, cols - j, depth, sign);
        if (full < rows) axpyRows(a, ao + full * lda, lda, b, bo, ldb, c, co + full * ldc, ldc, rows - full, cols, depth, sign);
    }

    /** {@link #gemm}'s edges, one row at a time as scaled rows of b. */
    private static void axpyRows(double[] a, int ao, int lda, double[] b, int bo, int ldb, double[] c, int co, int ldc,
                                 int rows, int cols, int depth, double sign) {
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < depth; k++) {
                double v = sign * a[ao + r * lda + k];
                int bk = bo + k * ldb, cr = co + r * ldc;
                for (int j = 0; j < cols; j++) c[cr + j] += v * b[bk + j];
            }
        }
    }

    /** A 4 x 2-vector tile of {@link #gemm}, its sums held in eight registers. */
    private static void tile(double[] a, int ao, int lda, double[] b, int bo, int ldb, double[] c, int co, int ldc,
                             int depth, double sign) {
        int l = D.length();
        DoubleVector s00 = DoubleVector.zero(D), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        for (int k = 0; k < depth; k++) {
            int bk = bo + k * ldb;
            DoubleVector b0 = DoubleVector.fromArray(D, b, bk), b1 = DoubleVector.fromArray(D, b, bk + l);
            DoubleVector x = DoubleVector.broadcast(D, a[ao + k]);
            s00 = x.fma(b0, s00);
            s01 = x.fma(b1, s01);
            x = DoubleVector.broadcast(D, a[ao + lda + k]);
            s10 = x.fma(b0, s10);
            s11 = x.fma(b1, s11);
            x = DoubleVector.broadcast(D, a[ao + 2 * lda + k]);
            s20 = x.fma(b0, s20);
            s21 = x.fma(b1, s21);
            x = DoubleVector.broadcast(D, a[ao + 3 * lda + k]);
            s30 = x.fma(b0, s30);
            s31 = x.fma(b1, s31);
        }
        add(c, co, s00, s01, sign, l);
        add(c, co + ldc, s10, s11, sign, l);
        add(c, co + 2 * ldc, s20, s21, sign, l);
        add(c, co + 3 * ldc, s30, s31, sign, l);
    }

    private static void add(double[] c, int at, DoubleVector s0, DoubleVector s1, double sign, int l) {
        DoubleVector k = DoubleVector.broadcast(D, sign);
        s0.fma(k, DoubleVector.fromArray(D, c, at)).intoArray(c, at);
        s1.fma(k, DoubleVector.fromArray(D, c, at + l)).intoArray(c, at + l);
    }
}
