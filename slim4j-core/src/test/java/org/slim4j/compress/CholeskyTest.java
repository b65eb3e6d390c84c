package org.slim4j.compress;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/** The blocked in-place factorisations against EJML's dense solver, on sizes around the panel width and tile height. */
class CholeskyTest {
    /** X^T X + n I for random X [2n, n], with one channel much larger than the rest (a badly scaled Hessian). */
    static double[] spd(int n, Random rnd) {
        int s = 2 * n;
        double[] x = new double[s * n];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian() * (i % n == n / 3 ? 30 : 1);
        double[] a = new double[n * n];
        for (int r = 0; r < s; r++) for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i * n + j] += x[r * n + i] * x[r * n + j];
        for (int i = 0; i < n; i++) a[i * n + i] += n;
        return a;
    }

    private static final int[] SIZES = {1, 2, 5, 63, 64, 65, 131, 200};

    @Test
    void lowerTimesItsTransposeIsTheMatrix() {
        Random rnd = new Random(1);
        for (int n : SIZES) {
            double[] a = spd(n, rnd);
            double[] l = Cholesky.lower(a, n);
            DMatrixRMaj lm = new DMatrixRMaj(n, n, true, l), llt = new DMatrixRMaj(n, n);
            CommonOps_DDRM.multTransB(lm, lm, llt);
            double scale = CommonOps_DDRM.elementMaxAbs(new DMatrixRMaj(n, n, true, a));
            for (int i = 0; i < n * n; i++) assertEquals(a[i], llt.data[i], 1e-12 * scale, "n " + n + " at " + i);
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) assertEquals(0, l[i * n + j]);
        }
    }

    @Test
    void inPlaceLeavesTheUpperTriangleAlone() {
        Random rnd = new Random(2);
        int n = 131;
        double[] a = spd(n, rnd), l = a.clone();
        assertTrue(Cholesky.lowerInPlace(l, n));
        Cholesky.invertLowerInPlace(l, n);
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) assertEquals(a[i * n + j], l[i * n + j]);
    }

    @Test
    void inverseOfLowerIsEjmls() {
        Random rnd = new Random(3);
        for (int n : SIZES) {
            double[] l = Cholesky.lower(spd(n, rnd), n);
            double[] x = Cholesky.invertLower(l, n);
            DMatrixRMaj inv = new DMatrixRMaj(n, n);
            assertTrue(CommonOps_DDRM.invert(new DMatrixRMaj(n, n, true, l), inv));
            double scale = CommonOps_DDRM.elementMaxAbs(inv);
            for (int i = 0; i < n * n; i++) assertEquals(inv.data[i], x[i], 1e-10 * scale, "n " + n + " at " + i);
        }
    }

    @Test
    void notPositiveDefiniteIsNull() {
        int n = 70;
        double[] a = spd(n, new Random(4));
        a[5 * n + 5] = -1;
        assertNull(Cholesky.lower(a, n));
    }

    @Test
    void upperCholeskyOfTheInverseIsEjmls() {
        Random rnd = new Random(5);
        for (int n : SIZES) {
            double[] a = spd(n, rnd);
            double[] u = HessianInverse.upperCholeskyOfInverse(a.clone(), n, 0);
            DMatrixRMaj inv = new DMatrixRMaj(n, n), um = new DMatrixRMaj(n, n, true, u), utu = new DMatrixRMaj(n, n);
            assertTrue(CommonOps_DDRM.solve(new DMatrixRMaj(n, n, true, a), CommonOps_DDRM.identity(n), inv));
            CommonOps_DDRM.multTransA(um, um, utu);
            double scale = CommonOps_DDRM.elementMaxAbs(inv);
            for (int i = 0; i < n * n; i++) assertEquals(inv.data[i], utu.data[i], 1e-9 * scale, "n " + n + " at " + i);
            for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) assertEquals(0, u[i * n + j]);
        }
    }

    @Test
    void dampeningIsRaisedUntilTheFactorisationSucceeds() {
        int n = 65;
        double[] a = new double[n * n]; // rank one: singular, and dead channels besides
        for (int i = 0; i < n - 3; i++) for (int j = 0; j < n - 3; j++) a[i * n + j] = 1;
        double[] u = HessianInverse.upperCholeskyOfInverse(a.clone(), n, 0);
        for (double v : u) assertTrue(Double.isFinite(v));
        for (int i = 0; i < n; i++) assertTrue(u[i * n + i] > 0);
    }
}
