package org.slim4j.compress.prune;

import java.util.stream.IntStream;

/**
 * Dense Cholesky factorisation and triangular inverse in double, rows in parallel: EJML's single-threaded versions
 * took most of a minute per 1536-wide Hessian, which dominated SparseGPT's and SVD-LLM's time on two cores.
 * Row-major [n, n] arrays; the factor's upper triangle is zero.
 */
public final class Cholesky {
    private Cholesky() {}

    /** Lower L with L L^T = a, or null when a is not (numerically) positive definite. */
    public static double[] lower(double[] a, int n) {
        double[] l = new double[n * n];
        for (int j = 0; j < n; j++) {
            int rj = j * n;
            double d = a[rj + j];
            for (int k = 0; k < j; k++) d -= l[rj + k] * l[rj + k];
            if (!(d > 0)) return null;
            double ljj = Math.sqrt(d);
            l[rj + j] = ljj;
            final int col = j;
            IntStream.range(j + 1, n).parallel().forEach(i -> {
                int ri = i * n;
                double s = a[ri + col];
                for (int k = 0; k < col; k++) s -= l[ri + k] * l[rj + k];
                l[ri + col] = s / ljj;
            });
        }
        return l;
    }

    /** L^-1 of a lower-triangular L (also lower); columns are independent, so they are split among the cores. */
    public static double[] invertLower(double[] l, int n) {
        double[] x = new double[n * n];
        int chunk = 32;
        IntStream.range(0, (n + chunk - 1) / chunk).parallel().forEach(c -> {
            int j0 = c * chunk, j1 = Math.min(n, j0 + chunk);
            for (int i = j0; i < n; i++) {
                int ri = i * n;
                int end = Math.min(i, j1);
                // x[i, j] = (delta_ij - sum_{k<i} l[i,k] x[k,j]) / l[i,i] for j in [j0, end]
                for (int j = j0; j < end; j++) x[ri + j] = 0;
                for (int k = j0; k < i; k++) {
                    double lik = l[ri + k];
                    if (lik == 0) continue;
                    int rk = k * n;
                    for (int j = j0; j < Math.min(k + 1, j1); j++) x[ri + j] -= lik * x[rk + j];
                }
                double inv = 1 / l[ri + i];
                for (int j = j0; j < end; j++) x[ri + j] *= inv;
                if (i < j1) x[ri + i] = inv;
            }
        });
        return x;
    }

    /**
     * The upper U with U^T U = a^-1, from one factorisation: with P the index reversal and P a P = R R^T,
     * a^-1 = P R^-T R^-1 P, so U = P R^-1 P (upper because R^-1 is lower). Null when a is not positive definite.
     */
    public static double[] upperOfInverse(double[] a, int n) {
        double[] rev = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) rev[i * n + j] = a[(n - 1 - i) * n + (n - 1 - j)];
        double[] r = lower(rev, n);
        if (r == null) return null;
        double[] x = invertLower(r, n);
        double[] u = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) u[i * n + j] = x[(n - 1 - i) * n + (n - 1 - j)];
        return u;
    }
}
