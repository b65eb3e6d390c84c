package org.slim4j.compress.quant;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.linsol.LinearSolverDense;
import org.slim4j.util.BadInputException;

/**
 * GPTQ's form of the inverse Hessian: U upper triangular with H^-1 = U^T U (the Cholesky factor of the inverse,
 * whose rows give each column's error propagation in one pass instead of repeated rank-1 downdates).
 */
public final class HessianInverse {
    private HessianInverse() {}

    /** H^-1 of a symmetric positive-definite H [n, n] row-major, through its Cholesky factorisation. */
    public static double[] inverse(double[] h, int n) {
        LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.symmPosDef(n);
        if (!solver.setA(new DMatrixRMaj(n, n, true, h))) throw new BadInputException("GPTQ", "hessian", "not positive definite (raise dampening)");
        DMatrixRMaj inv = new DMatrixRMaj(n, n);
        solver.invert(inv);
        return inv.data;
    }

    /** Upper U with U^T U = A for symmetric positive-definite A. */
    public static double[] upperCholesky(double[] a, int n) {
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(n, false);
        if (!chol.decompose(new DMatrixRMaj(n, n, true, a))) throw new BadInputException("GPTQ", "hessian", "inverse not positive definite (raise dampening)");
        DMatrixRMaj u = chol.getT(null);
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) u.data[i * n + j] = 0; // only the upper triangle is defined
        return u.data;
    }

    /** GPTQ's U for a damped H (H is modified: dampening added to its diagonal). */
    public static double[] gptqFactor(double[] h, int n, double dampening) {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += h[i * n + i];
        mean /= n;
        for (int i = 0; i < n; i++) h[i * n + i] += dampening * mean;
        return upperCholesky(inverse(h, n), n);
    }
}
