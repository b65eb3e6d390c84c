package org.slim4j.compress;

import org.slim4j.util.BadInputException;

/**
 * The upper Cholesky factor U of H^-1 (H^-1 = U^T U) that OBS-style methods (GPTQ, SparseGPT) sweep column by column:
 * row i of U holds, scaled, how rounding or removing weight i should move the weights after it. Dead inputs (never
 * nonzero in calibration) get H_ii = 1 so H stays invertible; dampening adds {@code damp} x mean(diag H) to the
 * diagonal and is raised tenfold until the factorisation succeeds.
 * <p>
 * One factorisation, in place, in H's own array: with P the index reversal and P H P = R R^T, H^-1 = P R^-T R^-1 P,
 * so U = P R^-1 P (upper because R^-1 is lower). No other n x n array is made, so an 8192-input layer needs 537 MB
 * here, not the five copies a solver library's inverse and a second factorisation would hold.
 */
public final class HessianInverse {
    private HessianInverse() {}

    /**
     * U for the Hessian h [n, n], row-major, written over h and returned (h is the result: it is not kept). Entries of
     * dead columns are set as described above.
     */
    public static double[] upperCholeskyOfInverse(double[] h, int n, double damp) {
        double mean = 0;
        for (int i = 0; i < n; i++) {
            if (h[i * n + i] == 0) h[i * n + i] = 1;
            mean += h[i * n + i];
        }
        mean /= n;
        reverse(h);
        double[] diagonal = new double[n];
        for (int i = 0; i < n; i++) diagonal[i] = h[i * n + i];
        for (double d = damp; ; d = d == 0 ? 1e-4 : 10 * d) {
            for (int i = 0; i < n; i++) h[i * n + i] = diagonal[i] + d * mean;
            if (Cholesky.lowerInPlace(h, n)) break;
            if (d >= 1e5) throw new BadInputException("calibration", "hessian", "not positive definite even with dampening " + d);
            for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) h[i * n + j] = h[j * n + i]; // back from the upper copy
        }
        Cholesky.invertLowerInPlace(h, n);
        Cholesky.zeroUpper(h, n);
        reverse(h);
        return h;
    }

    /** Columns whose calibration inputs were all zero (their weights can be pruned for free). */
    public static boolean[] dead(double[] h, int n) {
        boolean[] d = new boolean[n];
        for (int i = 0; i < n; i++) d[i] = h[i * n + i] == 0;
        return d;
    }

    /** P a P for the index reversal P: a[i, j] becomes a[n-1-i, n-1-j], i.e. the array read backwards. */
    private static void reverse(double[] a) {
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            double t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
