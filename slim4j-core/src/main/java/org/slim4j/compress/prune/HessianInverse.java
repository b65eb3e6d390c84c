package org.slim4j.compress.prune;


/**
 * The upper Cholesky factor U of H^-1 (H^-1 = U^T U) that OBS-style methods (SparseGPT, GPTQ) sweep column by column:
 * row i of U holds, scaled, how removing weight i should move the weights after it. Dead inputs (never nonzero in
 * calibration) get H_ii = 1 so H stays invertible; dampening adds {@code damp} x mean(diag H) to the diagonal and is
 * raised tenfold until the factorisation succeeds.
 */
public final class HessianInverse {
    private HessianInverse() {}

    /** @param h the Hessian [n, n], row-major; entries of dead columns are set as described above (h is modified) */
    public static double[] upperCholeskyOfInverse(double[] h, int n, double damp) {
        double mean = 0;
        for (int i = 0; i < n; i++) {
            if (h[i * n + i] == 0) h[i * n + i] = 1;
            mean += h[i * n + i];
        }
        mean /= n;
        for (double d = damp; d < 1e6; d *= 10) {
            double[] m = h.clone();
            for (int i = 0; i < n; i++) m[i * n + i] += d * mean;
            double[] u = Cholesky.upperOfInverse(m, n);
            if (u != null) return u;
        }
        throw new IllegalStateException("the Hessian stays singular even with heavy dampening");
    }

    /** Columns whose calibration inputs were all zero (their weights can be pruned for free). */
    public static boolean[] dead(double[] h, int n) {
        boolean[] d = new boolean[n];
        for (int i = 0; i < n; i++) d[i] = h[i * n + i] == 0;
        return d;
    }
}
