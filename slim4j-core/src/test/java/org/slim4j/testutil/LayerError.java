package org.slim4j.testutil;

/** Reference error measures for compressed linear layers, written plainly in double precision. */
public final class LayerError {
    private LayerError() {}

    /** ||(W - W') X^T||^2: the layer-output error every calibration-aware pruner minimises. */
    public static double outputError(float[] w, float[] w2, float[] x, int rows, int cols, int n) {
        double e = 0;
        for (int s = 0; s < n; s++) {
            for (int r = 0; r < rows; r++) {
                double d = 0;
                for (int c = 0; c < cols; c++) d += (w[r * cols + c] - w2[r * cols + c]) * (double) x[s * cols + c];
                e += d * d;
            }
        }
        return e;
    }
}
