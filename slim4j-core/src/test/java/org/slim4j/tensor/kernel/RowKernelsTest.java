package org.slim4j.tensor.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * RMSNorm and SwiGLU: the Java versions against the formulas in double, and the C versions against the Java ones
 * (rows at an offset, widths with and without a tail past the last 16 lanes, a range that starts mid-array). RMSNorm
 * sums its squares in another order in C (a lane reduction), so the scale may differ in its last bit.
 */
class RowKernelsTest {

    private static float[] gaussian(Random r, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * scale);
        return x;
    }

    private static void rmsNormInDouble(float[] in, int inOff, int rows, int h, float[] w, float eps, float[] out) {
        for (int i = 0; i < rows; i++) {
            double ss = 0;
            for (int j = 0; j < h; j++) ss += (double) in[inOff + i * h + j] * in[inOff + i * h + j];
            double inv = 1 / Math.sqrt(ss / h + eps);
            for (int j = 0; j < h; j++) out[i * h + j] = (float) (in[inOff + i * h + j] * inv * w[j]);
        }
    }

    @Test
    void rmsNormIsTheFormulaInJavaAndInC() {
        Random r = new Random(3);
        for (int h : new int[] {16, 17, 64, 576, 579}) {
            int rows = 5, inOff = 2 * h;
            float[] in = gaussian(r, (rows + 2) * h, 3), w = gaussian(r, h, 1);
            float[] expected = new float[rows * h], java = new float[rows * h + 7], c = new float[rows * h + 7];
            rmsNormInDouble(in, inOff, rows, h, w, 1e-5f, expected);
            RowKernels.rmsNorm(in, inOff, rows, h, w, 1e-5f, java, 7, false);
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], java[7 + i], 1e-6f * (1 + Math.abs(expected[i])), "h " + h + " at " + i);
            if (!NativeKernels.available()) continue;
            RowKernels.rmsNorm(in, inOff, rows, h, w, 1e-5f, c, 7, true);
            for (int i = 0; i < java.length; i++) assertEquals(java[i], c[i], 5e-7f * Math.abs(java[i]), "h " + h + " at " + i);
        }
    }

    @Test
    void swigluIsTheFormulaInJavaAndTheSameBitsInC() {
        Random r = new Random(4);
        for (int n : new int[] {16, 37, 1536}) {
            float[] gate = gaussian(r, n, 4), up = gaussian(r, n, 1);
            gate[0] = -100f; // exp(100) overflows to infinity: silu is -0
            gate[1] = 0f;
            float[] java = gate.clone();
            RowKernels.swiglu(java, up, 1, n, false);
            assertEquals(-100f, java[0], "outside the range");
            for (int i = 1; i < n; i++) {
                double g = gate[i];
                assertEquals(g / (1 + Math.exp(-g)) * up[i], java[i], 3e-7 * Math.abs(g * up[i]) + 1e-30, "n " + n + " at " + i);
            }
            if (!NativeKernels.available()) continue;
            float[] c = gate.clone();
            RowKernels.swiglu(c, up, 1, n, true);
            int tail = 1 + (n - 1) / 16 * 16; // the C tail's exp is libm's, the Java one's Math.exp
            for (int i = 0; i < tail; i++) assertEquals(Float.floatToIntBits(java[i]), Float.floatToIntBits(c[i]), "n " + n + " at " + i);
            for (int i = tail; i < n; i++) assertEquals(java[i], c[i], 2e-7f * Math.abs(java[i]), "n " + n + " at " + i);
        }
    }

    @Test
    void theCVersionsRunWhereTheLibraryLoads() {
        Assumptions.assumeTrue(NativeKernels.available(), "C kernels: " + NativeKernels.status());
        float[] x = {3f, 4f}, out = new float[2];
        NativeKernels.rmsNorm(x, 0, 1, 2, new float[] {1f, 1f}, 0f, out, 0);
        assertArrayEquals(new float[] {3f / (float) Math.sqrt(12.5), 4f / (float) Math.sqrt(12.5)}, out, 1e-6f);
    }
}
