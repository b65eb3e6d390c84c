package org.slim4j.tensor.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/**
 * The C kernels against the exact path: for every type, n activation rows, a row range that starts and ends inside
 * the matrix, accumulation, and odd block counts (the 32-block kernels' one-block tail). The reference is a float64
 * dot of the exactly dequantized weights with the dequantized int8 activations (the same numbers the kernel sees),
 * so only float32 rounding may differ: 1e-4 of sum |w_i x_i|. Skipped, saying why, where the kernels cannot run.
 */
class NativeKernelsTest {

    @BeforeAll
    static void available() {
        Assumptions.assumeTrue(NativeKernels.available(), "C kernels: " + NativeKernels.status());
    }

    @Test
    void q8ActKeepsByteCodesAndIntegerSums() {
        float[] x = MatVecTest.acts(128);
        Q8Act a = new Q8Act(2, 64);
        a.quantizeRows(x, 0, 2, 64);
        assertEquals(64, a.cols());
        assertEquals(2, a.rows());
        for (int b = 0; b < 4; b++) {
            int sum = 0, first = 0;
            for (int i = 0; i < 32; i++) {
                assertEquals(a.q[32 * b + i], a.q8[32 * b + i]);
                sum += a.q8[32 * b + i];
                if (i < 16) first += a.q8[32 * b + i];
            }
            assertEquals(sum, a.sum[b]);
            assertEquals(first, a.sum16[b]);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void intKernelsMatchTheDequantizedProduct(DType t) {
        // 160: an odd count of 32-blocks (the row kernels' one-block tail); 192 and 768: whole tile steps
        for (int cols : t.blockSize == 256 ? new int[] {768} : new int[] {160, 192}) {
            for (int n : new int[] {1, 2, 6}) check(t, cols, n);
        }
    }

    private static void check(DType t, int cols, int n) {
        int rows = 13, r0 = 2, r1 = 11;
        Tensor w = MatVecTest.randomMatrix(t, rows, cols, 5);
        float[] deq = Dequant.toFloats(w);
        float[] x = MatVecTest.acts(n * cols);
        if (n > 1) for (int i = 0; i < cols; i++) x[cols + i] *= 1e-3f * (i % 7); // a second row of small, uneven magnitudes
        Q8Act a = new Q8Act(n, cols);
        a.quantizeRows(x, 0, n, cols);
        var k = NativeKernels.intKernel(t);
        assertNotNull(k, t.toString());
        float[] y = new float[n * rows + 5];
        java.util.Arrays.fill(y, 0.25f);
        NativeKernels.intRows(k, w.data(), w.rowBytes(), r0, r1, a, n, y, rows + 1, true); // stride != rows
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < rows; r++) {
                double want = 0, mag = 0;
                for (int j = 0; j < cols; j++) {
                    int blk = (i * cols + j) / 32;
                    double xv = a.q8[i * cols + j] * (double) a.d[blk];
                    want += deq[r * cols + j] * xv;
                    mag += Math.abs(deq[r * cols + j] * xv);
                }
                float got = y[i * (rows + 1) + r];
                if (r < r0 || r >= r1) assertEquals(0.25f, got, 0f, t + " row " + r + " outside the range was touched");
                else assertEquals(0.25 + want, got, 1e-4 * mag + 1e-6, t + " " + cols + " cols, n " + n + ": row " + r + " activation row " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void oneRowAgreesWithTheJavaIntegerKernel(DType t) {
        int cols = 512, rows = 33;
        Tensor w = MatVecTest.randomMatrix(t, rows, cols, 6);
        float[] x = MatVecTest.acts(cols);
        Q8Act a = new Q8Act(cols);
        a.quantize(x, 0, cols);
        float[] c = new float[rows], java = new float[rows];
        BoundMatrix.of(w, EngineOptions.defaults().withCKernels(true)).rows(0, rows, a, x, c, false, new float[MatVec.scratchSize(cols)]);
        BoundMatrix.of(w, EngineOptions.defaults().withCKernels(false)).rows(0, rows, a, x, java, false, new float[MatVec.scratchSize(cols)]);
        for (int r = 0; r < rows; r++) assertEquals(java[r], c[r], 2e-4f * (1 + Math.abs(java[r])), t + " row " + r);
    }

    /** The 16-row re-layout: rows decode bit-identically, and its kernel gives the file-layout kernel's products. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q8_0", "Q4_K", "Q5_K", "Q6_K"})
    void sixteenRowLayoutDecodesExactlyAndMultipliesLikeTheRowKernel(DType t) {
        int cols = t.blockSize == 256 ? 768 : 192, rows = 48;
        Tensor w = MatVecTest.randomMatrix(t, rows, cols, 8);
        EngineOptions o = EngineOptions.defaults().withCKernels(true).withAct8(true);
        assertTrue(BoundMatrix.x16(w, o));
        BoundMatrix packed = BoundMatrix.x16(w, java.lang.foreign.Arena.ofAuto(), o), plain = BoundMatrix.of(w, o);
        float[] deq = Dequant.toFloats(w), row = new float[cols + 3];
        for (int r = 0; r < rows; r++) {
            packed.decodeRow(r, row, 3);
            for (int c = 0; c < cols; c++) assertEquals(deq[r * cols + c], row[3 + c], 0f, t + " row " + r + " col " + c);
        }
        for (int n : new int[] {5, 21}) { // 21: a prompt batch, whose K-quant codes the kernel rebuilds once per group
            float[] x = MatVecTest.acts(n * cols);
            Q8Act a = new Q8Act(n, cols);
            a.quantizeRows(x, 0, n, cols);
            float[] want = new float[n * rows], got = new float[n * rows];
            plain.rows(0, rows, a, n, want, rows, false);
            packed.rows(16, rows, a, n, got, rows, false);
            packed.rows(0, 16, a, n, got, rows, false);
            for (int i = 0; i < n * rows; i++) assertEquals(want[i], got[i], 1e-4f * (1 + Math.abs(want[i])), t + " n " + n + " output " + i);
            Q8Act one = new Q8Act(cols);
            one.quantize(x, 0, cols);
            float[] y1 = new float[rows];
            java.util.Arrays.fill(y1, 1f);
            packed.rows(0, rows, one, x, y1, true, new float[MatVec.scratchSize(cols)]);
            for (int r = 0; r < rows; r++) assertEquals(1f + want[r], y1[r], 1e-4f * (1 + Math.abs(want[r])), t + " one row, accumulated: " + r);
            assertThrows(IllegalArgumentException.class, () -> packed.rows(0, 8, a, n, got, rows, false), "not whole groups");
        }
    }

    @Test
    void quantizingInCIsJavasArithmetic() {
        float[] x = MatVecTest.acts(3 * 96);
        x[5] = 0;
        for (int i = 64; i < 96; i++) x[i] = 0; // an all-zero block
        x[100] = 0.5f * x[101]; // near-halves
        Q8Act c = new Q8Act(3, 96), java = new Q8Act(3, 96);
        c.quantizeRows(x, 0, 3, 96);
        java.quantizeJava(x, 0, 3, 96);
        assertArrayEquals(java.q8, c.q8);
        assertArrayEquals(java.q, c.q);
        assertArrayEquals(java.d, c.d);
        assertArrayEquals(java.s, c.s);
        assertArrayEquals(java.sum, c.sum);
        assertArrayEquals(java.sum16, c.sum16);
    }

    @Test
    void epilogueAddsBiasAndResidualThenGelu() {
        int n = 5, ld = 80;
        Random rnd = new Random(4);
        float[] y = new float[n * ld], bias = new float[ld], res = new float[n * ld];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) (3 * rnd.nextGaussian());
            res[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < ld; i++) bias[i] = (float) rnd.nextGaussian();
        float[] want = y.clone();
        NativeKernels.epilogue(y, ld, n, 16, 64, bias, res, true);
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < ld; c++) {
                int o = i * ld + c;
                if (c < 16 || c >= 64) {
                    assertEquals(want[o], y[o], 0f, "outside the columns");
                    continue;
                }
                double v = (double) want[o] + bias[c] + res[o];
                double gelu = v * 0.5 * (1 + erf(v / Math.sqrt(2)));
                assertEquals(gelu, y[o], 1e-5 * (1 + Math.abs(gelu)), "row " + i + " col " + c);
            }
        }
    }

    /** erf by its series / continued fraction to double precision (for the GELU reference). */
    private static double erf(double x) {
        double t = 1 / (1 + 0.5 * Math.abs(x));
        double y = 1 - t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? y : -y;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "F32"})
    void floatKernelsMatchTheDequantizedProduct(DType t) {
        int cols = 200, rows = 9, n = 2; // 200: a tail after the 32-wide steps
        Tensor w = MatVecTest.randomMatrix(t, rows, cols, 7);
        float[] deq = Dequant.toFloats(w);
        float[] x = new float[n * cols];
        Random rnd = new Random(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] y = new float[n * rows];
        NativeKernels.floatRows(NativeKernels.floatKernel(t), w.data(), w.rowBytes(), 0, rows, x, cols, n, y, rows, false);
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < rows; r++) {
                double want = 0, mag = 0;
                for (int j = 0; j < cols; j++) {
                    want += (double) deq[r * cols + j] * x[i * cols + j];
                    mag += Math.abs((double) deq[r * cols + j] * x[i * cols + j]);
                }
                assertEquals(want, y[i * rows + r], 1e-5 * mag, t + " row " + r);
            }
        }
    }
}
