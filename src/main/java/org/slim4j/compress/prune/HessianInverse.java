package org.slim4j.compress.prune;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;

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
            DMatrixRMaj m = new DMatrixRMaj(n, n);
            System.arraycopy(h, 0, m.data, 0, n * n);
            for (int i = 0; i < n; i++) m.data[i * n + i] += d * mean;
            CholeskyDecomposition_F64<DMatrixRMaj> lower = DecompositionFactory_DDRM.chol(n, true);
            if (!lower.decompose(m)) continue;
            DMatrixRMaj l = lower.getT(null);
            DMatrixRMaj inv = new DMatrixRMaj(n, n);
            // H^-1 = L^-T L^-1 from the triangular factor: cheaper and better conditioned than a general inverse
            DMatrixRMaj linv = CommonOps_DDRM.identity(n);
            org.ejml.dense.row.decomposition.TriangularSolver_DDRM.solveL(l.data, linv.data, n, n);
            CommonOps_DDRM.multTransA(linv, linv, inv);
            CholeskyDecomposition_F64<DMatrixRMaj> upper = DecompositionFactory_DDRM.chol(n, false);
            if (!upper.decompose(inv)) continue;
            return upper.getT(null).data;
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
