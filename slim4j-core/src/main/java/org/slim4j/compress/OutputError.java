package org.slim4j.compress;

import java.lang.foreign.Arena;
import org.slim4j.tensor.kernel.MatMulF32;

/** ||W X^T - Q X^T||_F / ||W X^T||_F over the calibration inputs, from their Gram matrix G = X^T X alone. */
public final class OutputError {
    private OutputError() {}

    public static double relative(float[] w, float[] q, int rows, int cols, double[] gram) {
        float[] d = new float[w.length];
        for (int i = 0; i < d.length; i++) d[i] = w[i] - q[i];
        float[] g = toFloat(gram);
        double ref = quadratic(w, rows, cols, g);
        return ref == 0 ? 0 : Math.sqrt(Math.max(0, quadratic(d, rows, cols, g)) / ref);
    }

    /** sum_r d_r G d_r^T for d [rows, cols]: the squared output error of a weight difference d. */
    public static double quadratic(float[] d, int rows, int cols, float[] gram) {
        float[] y = new float[rows * cols];
        try (Arena arena = Arena.ofShared()) { // shared: the kernel reads it from the common pool
            MatMulF32.forward(NativeFloats.of(gram, arena), cols, cols, d, rows, y, true);
        }
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (double) y[i] * d[i];
        return s;
    }

    public static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }
}
