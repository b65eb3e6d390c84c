package org.slim4j.compress.prune;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CholeskyTest {
    @Test
    void upperOfInverseTimesMatrixIsIdentity() {
        int n = 70;
        Random rnd = new Random(1);
        double[] x = new double[200 * n];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian() + (i % n == 3 ? 2 : 0);
        double[] a = new double[n * n];
        for (int s = 0; s < 200; s++) for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i * n + j] += x[s * n + i] * x[s * n + j];
        double[] u = Cholesky.upperOfInverse(a, n);
        // (U^T U) a = I
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i > j) assertEquals(0, u[i * n + j]);
                double v = 0;
                for (int k = 0; k < n; k++) {
                    double inv = 0;
                    for (int t = 0; t < n; t++) inv += u[t * n + i] * u[t * n + k];
                    v += inv * a[k * n + j];
                }
                assertEquals(i == j ? 1 : 0, v, 1e-8, i + "," + j);
            }
        }
        double[] notPd = a.clone();
        notPd[5 * n + 5] = -1;
        assertNull(Cholesky.lower(notPd, n));
    }
}
