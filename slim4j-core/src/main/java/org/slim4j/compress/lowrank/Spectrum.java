package org.slim4j.compress.lowrank;

import org.ejml.data.DMatrixRMaj;
import org.slim4j.compress.Cholesky;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * The SVD of a weight, optionally whitened by the calibration inputs (SVD-LLM, Wang et al. 2024): with
 * X^T X = S S^T (Cholesky), ||(W - W') X^T|| = ||(W - W') S||, so truncating the SVD of W S and multiplying back by
 * S^-1 gives the rank-r weight with the least layer-output error; its discarded singular values are exactly that
 * error. Computed once per layer so that a budget can look at every layer's spectrum before choosing ranks.
 */
public final class Spectrum {
    private final int rows, cols;
    private final DMatrixRMaj u, vt; // u [rows, k], vt [k, cols], singular values descending
    private final double[] s;
    private final double[] sInv; // S^-1 [cols, cols] (lower), null when not whitened
    private final double[] sInvDiag; // S^-1 when S is diagonal (ASVD's scaling), else null

    private Spectrum(int rows, int cols, DMatrixRMaj u, double[] s, DMatrixRMaj vt, double[] sInv, double[] sInvDiag) {
        this.sInvDiag = sInvDiag;
        this.rows = rows;
        this.cols = cols;
        this.u = u;
        this.s = s;
        this.vt = vt;
        this.sInv = sInv;
    }

    /** Plain SVD of w [rows, cols]. */
    public static Spectrum of(float[] w, int rows, int cols) {
        return of(w, rows, cols, null);
    }

    /** @param gram X^T X [cols, cols] to whiten with, or null for the plain SVD */
    public static Spectrum of(float[] w, int rows, int cols, double[] gram) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < w.length; i++) m.data[i] = w[i];
        double[] sInv = null;
        if (gram != null) {
            double[] chol = choleskyLower(gram, cols);
            m = new DMatrixRMaj(rows, cols);
            m.data = multiply(toDouble(w), rows, cols, chol, cols);
            sInv = Cholesky.invertLower(chol, cols);
        }
        return decompose(m, rows, cols, sInv, null);
    }

    /**
     * The SVD of W diag(s) (ASVD's activation scaling): truncating it and multiplying back by diag(1/s) keeps the
     * directions that large input channels excite. Every s_j must be positive.
     */
    public static Spectrum scaled(float[] w, int rows, int cols, double[] s) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        double[] inv = new double[cols];
        for (int j = 0; j < cols; j++) {
            if (!(s[j] > 0)) throw new IllegalArgumentException("scale of column " + j + " is " + s[j] + ", must be > 0");
            inv[j] = 1 / s[j];
        }
        for (int i = 0; i < w.length; i++) m.data[i] = w[i] * s[i % cols];
        return decompose(m, rows, cols, null, inv);
    }

    private static Spectrum decompose(DMatrixRMaj m, int rows, int cols, double[] sInv, double[] sInvDiag) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(rows, cols, true, true, true);
        if (!svd.decompose(m)) throw new IllegalStateException("SVD did not converge");
        DMatrixRMaj u = svd.getU(null, false), sigma = svd.getW(null), vt = svd.getV(null, true);
        SingularOps_DDRM.descendingOrder(u, false, sigma, vt, true);
        int k = Math.min(rows, cols);
        double[] s = new double[k];
        for (int i = 0; i < k; i++) s[i] = sigma.get(i, i);
        return new Spectrum(rows, cols, u, s, vt, sInv, sInvDiag);
    }

    /**
     * Lower L with L L^T = X^T X + eps I: a tiny relative ridge keeps never-active or collinear channels from making
     * S singular, raised until the factorisation succeeds.
     */
    static double[] choleskyLower(double[] gram, int n) {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += gram[i * n + i];
        mean = Math.max(mean / n, 1e-30);
        for (double eps = 1e-6; eps < 10; eps *= 10) {
            double[] g = gram.clone();
            for (int i = 0; i < n; i++) g[i * n + i] += eps * mean;
            double[] l = Cholesky.lower(g, n);
            if (l != null) return l;
        }
        throw new IllegalStateException("X^T X is not positive definite even with a ridge");
    }

    private static double[] toDouble(float[] w) {
        double[] d = new double[w.length];
        for (int i = 0; i < w.length; i++) d[i] = w[i];
        return d;
    }

    /** a [rows, k] x b [k, cols], rows in parallel (EJML's mult is single-threaded). */
    static double[] multiply(double[] a, int rows, int k, double[] b, int cols) {
        double[] c = new double[rows * cols];
        java.util.stream.IntStream.range(0, rows).parallel().forEach(i -> {
            for (int t = 0; t < k; t++) {
                double x = a[i * k + t];
                if (x == 0) continue;
                int rb = t * cols, rc = i * cols;
                for (int j = 0; j < cols; j++) c[rc + j] += x * b[rb + j];
            }
        });
        return c;
    }

    public double[] singularValues() {
        return s.clone();
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public boolean whitened() {
        return sInv != null || sInvDiag != null;
    }

    /** Sum of squared singular values beyond rank r: the (whitened) squared error of truncating there. */
    public double tailEnergy(int r) {
        double e = 0;
        for (int i = r; i < s.length; i++) e += s[i] * s[i];
        return e;
    }

    /** The rank-r factors: A = U_r sqrt(Sigma_r), B = sqrt(Sigma_r) V_r^T (S^-1 when whitened); balanced for fp16. */
    public LowRankLinear truncate(int r, String method) {
        if (r < 0 || r > s.length) throw new IllegalArgumentException("rank " + r + " outside [0, " + s.length + "]");
        float[] a = new float[rows * r], b = new float[r * cols];
        for (int i = 0; i < rows; i++) for (int k = 0; k < r; k++) a[i * r + k] = (float) (u.get(i, k) * Math.sqrt(s[k]));
        DMatrixRMaj top = new DMatrixRMaj(r, cols);
        for (int k = 0; k < r; k++) {
            double f = Math.sqrt(s[k]);
            for (int c = 0; c < cols; c++) top.data[k * cols + c] = vt.get(k, c) * f;
        }
        if (sInv != null) top.data = multiply(top.data, r, cols, sInv, cols);
        if (sInvDiag != null) for (int i = 0; i < top.data.length; i++) top.data[i] *= sInvDiag[i % cols];
        for (int i = 0; i < b.length; i++) b[i] = (float) top.data[i];
        return new LowRankLinear(rows, cols, r, a, b, method);
    }
}
