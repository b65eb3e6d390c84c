package org.slim4j.compress;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.slim4j.tensor.kernel.MatMulF32;

/** ||W X^T - Q X^T||_F / ||W X^T||_F over the calibration inputs, from their Gram matrix G = X^T X alone. */
public final class OutputError {
    private OutputError() {}

    public static double relative(float[] w, float[] q, int rows, int cols, double[] gram) {
        return relative(w, q, rows, cols, toFloat(gram));
    }

    /** Over the inputs that {@code stats} summed (their Gram matrix made float without a double copy of it). */
    public static double relative(float[] w, float[] q, int rows, int cols, InputStats stats) {
        return relative(w, q, rows, cols, stats.gramFloat());
    }

    private static double relative(float[] w, float[] q, int rows, int cols, float[] g) {
        double ref = 0, err = 0;
        // ROWS rows at a time: the difference and W G for a 128k-vocabulary output matrix were 1 GB each (Llama-3.2-1B's
        // GPTQ ran out of a 3.4 GB heap here); a multiple of the kernel's 15-row tile and one running sum, so the same sums in the same order
        int step = Math.min(rows, ROWS);
        float[] d = new float[step * cols], y = new float[step * cols];
        try (Arena arena = Arena.ofShared()) { // shared: the kernel reads it from the common pool
            MemorySegment gs = NativeFloats.of(g, arena);
            for (int r0 = 0; r0 < rows; r0 += step) {
                int n = Math.min(step, rows - r0), off = r0 * cols;
                System.arraycopy(w, off, d, 0, n * cols);
                ref = quadratic(gs, d, n, cols, y, ref);
                for (int i = 0; i < n * cols; i++) d[i] = w[off + i] - q[off + i];
                err = quadratic(gs, d, n, cols, y, err);
            }
        }
        return ref == 0 ? 0 : Math.sqrt(Math.max(0, err) / ref);
    }

    private static final int ROWS = 15 * 256;

    /** sum_r d_r G d_r^T for d [rows, cols]: the squared output error of a weight difference d. */
    public static double quadratic(float[] d, int rows, int cols, float[] gram) {
        try (Arena arena = Arena.ofShared()) { // shared: the kernel reads it from the common pool
            return quadratic(NativeFloats.of(gram, arena), d, rows, cols, new float[rows * cols], 0);
        }
    }

    /** s plus the quadratic form of d's rows, added element by element in row-major order (as one pass over all rows). */
    private static double quadratic(MemorySegment gram, float[] d, int rows, int cols, float[] y, double s) {
        MatMulF32.forward(gram, cols, cols, d, rows, y, true);
        for (int i = 0; i < rows * cols; i++) s += (double) y[i] * d[i];
        return s;
    }

    public static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }
}
