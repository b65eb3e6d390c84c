package org.slim4j.tensor.kernel;

import static org.slim4j.tensor.kernel.FloatKernels.F;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Register-blocked float32 micro-kernel: 4 decoded weight rows against activation rows two at a time. */
final class Gemm {
    private Gemm() {}

    /** w: 4 rows of {@code cols} floats; for each activation row i: y[i * yStride + r0 + k] (+)= dot(w[k], x[i]). */
    static void tile4(float[] w, int cols, float[] x, int n, float[] y, int yStride, int r0, boolean accumulate) {
        int i = 0;
        for (; i + 2 <= n; i += 2) {
            pair(w, cols, x, i * cols, (i + 1) * cols, y, i * yStride + r0, (i + 1) * yStride + r0, accumulate);
        }
        for (; i < n; i++) {
            for (int k = 0; k < 4; k++) {
                float v = VectorOps.dot(w, k * cols, x, i * cols, cols);
                int yi = i * yStride + r0 + k;
                y[yi] = accumulate ? y[yi] + v : v;
            }
        }
    }

    private static void pair(float[] w, int cols, float[] x, int xa, int xb, float[] y, int ya, int yb, boolean accumulate) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int L = F.length();
        int j = 0;
        for (; j + L <= cols; j += L) {
            FloatVector u = FloatVector.fromArray(F, x, xa + j), v = FloatVector.fromArray(F, x, xb + j);
            FloatVector w0 = FloatVector.fromArray(F, w, j);
            a0 = w0.fma(u, a0);
            b0 = w0.fma(v, b0);
            FloatVector w1 = FloatVector.fromArray(F, w, cols + j);
            a1 = w1.fma(u, a1);
            b1 = w1.fma(v, b1);
            FloatVector w2 = FloatVector.fromArray(F, w, 2 * cols + j);
            a2 = w2.fma(u, a2);
            b2 = w2.fma(v, b2);
            FloatVector w3 = FloatVector.fromArray(F, w, 3 * cols + j);
            a3 = w3.fma(u, a3);
            b3 = w3.fma(v, b3);
        }
        store(y, ya, a0.reduceLanes(VectorOperators.ADD) + tail(w, 0, cols, x, xa, j), accumulate);
        store(y, ya + 1, a1.reduceLanes(VectorOperators.ADD) + tail(w, cols, cols, x, xa, j), accumulate);
        store(y, ya + 2, a2.reduceLanes(VectorOperators.ADD) + tail(w, 2 * cols, cols, x, xa, j), accumulate);
        store(y, ya + 3, a3.reduceLanes(VectorOperators.ADD) + tail(w, 3 * cols, cols, x, xa, j), accumulate);
        store(y, yb, b0.reduceLanes(VectorOperators.ADD) + tail(w, 0, cols, x, xb, j), accumulate);
        store(y, yb + 1, b1.reduceLanes(VectorOperators.ADD) + tail(w, cols, cols, x, xb, j), accumulate);
        store(y, yb + 2, b2.reduceLanes(VectorOperators.ADD) + tail(w, 2 * cols, cols, x, xb, j), accumulate);
        store(y, yb + 3, b3.reduceLanes(VectorOperators.ADD) + tail(w, 3 * cols, cols, x, xb, j), accumulate);
    }

    private static float tail(float[] w, int wo, int cols, float[] x, int xo, int from) {
        float s = 0;
        for (int j = from; j < cols; j++) s += w[wo + j] * x[xo + j];
        return s;
    }

    private static void store(float[] y, int i, float v, boolean accumulate) {
        y[i] = accumulate ? y[i] + v : v;
    }
}
