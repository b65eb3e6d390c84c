package org.slim4j.tensor.kernel;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/**
 * The int8-activation kernels. Two checks per type: (1) against a float64 dot of the exactly dequantized weights
 * with the dequantized activations (q * d) — the same numbers, so only float32 rounding differs: 1e-4 relative
 * to sum |w_i x_i|; (2) against the exact float activations — the activation rounding error is at most d/2 per
 * element, so |err| <= sum_i |w_i| d(i) / 2 plus the same float slack.
 */
class IntKernelsTest {

    @Test
    void quantizeRoundsLikeGgml() {
        float[] x = MatVecTest.acts(96);
        x[5] = 0; x[40] = -x[41];
        for (int i = 64; i < 96; i++) x[i] = 0; // an all-zero block: scale 0, codes 0
        Q8Act a = new Q8Act(96);
        a.quantize(x, 0, 96);
        assertEquals(96, a.cols());
        for (int b = 0; b < 3; b++) {
            float amax = 0;
            for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[32 * b + i]));
            float d = amax / 127f, inv = amax != 0 ? 127f / amax : 0f;
            assertEquals(d, a.d[b], 0f);
            int sum = 0;
            for (int i = 0; i < 32; i++) {
                int want = Math.round(Math.abs(x[32 * b + i] * inv)) * (x[32 * b + i] < 0 ? -1 : 1);
                assertEquals(want, a.q[32 * b + i], "element " + (32 * b + i));
                sum += want;
            }
            assertEquals(d * sum, a.s[b], 1e-6f);
        }
        a.quantize(x, 0, 40); // not whole blocks: unusable, callers take the float path
        assertEquals(-1, a.cols());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q6_K"})
    void matchesDequantizedProductsAndBoundsActivationError(DType t) {
        int cols = t.blockSize == 256 ? 768 : 96, rows = 11;
        Tensor w = MatVecTest.randomMatrix(t, rows, cols, 9);
        float[] deq = Dequant.toFloats(w);
        for (int trial = 0; trial < 3; trial++) {
            float[] x = MatVecTest.acts(cols);
            if (trial == 2) for (int i = 0; i < cols; i++) x[i] *= 1e-3f * (i % 7); // small and uneven magnitudes
            Q8Act a = new Q8Act(cols);
            a.quantize(x, 0, cols);
            float[] y = new float[rows];
            MatVec.rows(w, 0, rows, a, x, y, false, new float[MatVec.scratchSize(cols)]);
            for (int r = 0; r < rows; r++) {
                double sq = 0, sx = 0, mag = 0, bound = 0;
                for (int j = 0; j < cols; j++) {
                    double wj = deq[r * cols + j], dj = a.d[j / 32];
                    sq += wj * a.q[j] * dj;
                    sx += wj * x[j];
                    mag += Math.abs(wj * x[j]);
                    bound += Math.abs(wj) * dj / 2;
                }
                String what = t + " row " + r + " trial " + trial;
                assertEquals(sq, y[r], 1e-4 * mag + 1e-6, what + " vs dequantized activations");
                assertEquals(sx, y[r], bound + 1e-4 * mag + 1e-6, what + " vs exact activations");
            }
        }
    }

    /**
     * The two-row kernel (Q4_0) does each row's arithmetic in the one-row kernel's order, so they agree bit for bit;
     * an odd row range starting at 1 and accumulation go through both (the last row takes the one-row kernel).
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q6_K"})
    void multiRowKernelsMatchOneRowKernelsExactly(DType t) {
        int cols = t.blockSize == 256 ? 512 : 160, rows = 13;
        Tensor w = MatVecTest.randomMatrix(t, rows, cols, 5);
        float[] x = MatVecTest.acts(cols);
        Q8Act a = new Q8Act(cols);
        a.quantize(x, 0, cols);
        float[] y = new float[rows];
        java.util.Arrays.fill(y, 0.5f);
        MatVec.rows(w, 1, rows, a, x, y, true, new float[MatVec.scratchSize(cols)]);
        assertEquals(0.5f, y[0], 0f);
        for (int r = 1; r < rows; r++) assertEquals(0.5f + MatVec.dot(w, r, a), y[r], 0f, t + " row " + r);
    }

    @Test
    void rowsFallsBackToFloatWhenQuantizedInputDoesNotFit() {
        Tensor f16 = MatVecTest.randomMatrix(DType.F16, 5, 64, 2), q8 = MatVecTest.randomMatrix(DType.Q8_0, 5, 64, 2);
        float[] x = MatVecTest.acts(64), y = new float[5];
        Q8Act a = new Q8Act(128);
        a.quantize(x, 0, 64);
        MatVec.rows(f16, 0, 5, a, x, y, false, new float[MatVec.scratchSize(64)]); // no int kernel for F16
        MatVecTest.assertMatches(f16, x, 1, y, "F16 fallback");
        a.quantize(MatVecTest.acts(96), 0, 96); // holds another row length
        MatVec.rows(q8, 0, 5, a, x, y, false, new float[MatVec.scratchSize(64)]);
        MatVecTest.assertMatches(q8, x, 1, y, "Q8_0 with a mismatched quantized row");
    }
}
