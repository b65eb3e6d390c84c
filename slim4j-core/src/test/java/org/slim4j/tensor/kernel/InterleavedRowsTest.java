package org.slim4j.tensor.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/**
 * The row-interleaved Q4_0 copy against the file's layout: the decode kernel against a float64 dot of the exactly
 * dequantized weights with the dequantized activations (only float32 rounding differs: 1e-4 relative to
 * sum |w_i x_i|, as in {@link IntKernelsTest}), rows outside whole groups through the file-layout kernels, and the
 * prefill panels bit-identical to {@link Dequant}. {@link Avx2PathTest} runs the same checks at 256 bits.
 */
class InterleavedRowsTest {
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0"})
    void decodeKernelMatchesDequantizedProducts(DType t) {
        check(t, 96, 160);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0"})
    void panelsAreBitIdenticalToDequant(DType t) {
        checkPanels(t, 64, 96);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0"})
    void rowsDecodeLikeDequant(DType t) {
        int cols = 96;
        Tensor w = MatVecTest.randomMatrix(t, 64, cols, 3);
        float[] deq = Dequant.toFloats(w), row = new float[cols];
        InterleavedRows iq = InterleavedRows.of(w, Arena.ofAuto(), false);
        for (int r = 0; r < 64; r++) {
            iq.decodeRow(r, row, 0);
            assertArrayEquals(java.util.Arrays.copyOfRange(deq, r * cols, r * cols + cols), row, 0f, "row " + r);
        }
    }

    @Test
    void rejectsWhatItCannotRelay() {
        assertFalse(InterleavedRows.supports(MatVecTest.randomMatrix(DType.Q4_0, 48, 64, 1)), "48 rows: not whole groups");
        assertFalse(InterleavedRows.supports(MatVecTest.randomMatrix(DType.Q8_0, 64, 64, 1)));
        Tensor odd = MatVecTest.randomMatrix(DType.Q4_0, 48, 64, 1);
        assertThrows(IllegalArgumentException.class, () -> InterleavedRows.of(odd, Arena.ofAuto(), false));
    }

    static void check(DType t, int rows, int cols) {
        Tensor w = MatVecTest.randomMatrix(t, rows, cols, 7);
        float[] deq = Dequant.toFloats(w);
        InterleavedRows iq = InterleavedRows.of(w, Arena.ofAuto(), false);
        float[] x = MatVecTest.acts(cols);
        Q8Act a = new Q8Act(cols);
        a.quantize(x, 0, cols);
        float[] scratch = new float[MatVec.scratchSize(cols)];
        for (boolean accumulate : new boolean[] {false, true}) {
            float[] y = new float[rows];
            java.util.Arrays.fill(y, 0.25f);
            iq.rows(4, rows - 8, a, x, y, accumulate, scratch); // a partial group at each end: the file-layout kernel
            for (int r = 0; r < rows; r++) {
                if (r < 4 || r >= rows - 8) {
                    assertEquals(0.25f, y[r], 0f, "row " + r + " is outside the range");
                    continue;
                }
                double sq = accumulate ? 0.25 : 0, mag = 0;
                for (int j = 0; j < cols; j++) {
                    double wj = deq[r * cols + j];
                    sq += wj * a.q[j] * a.d[j / 32];
                    mag += Math.abs(wj * x[j]);
                }
                if (Math.abs(sq - y[r]) > 1e-4 * mag + 1e-6) throw new AssertionError(t + " row " + r + ": " + y[r] + " vs " + sq);
            }
        }
    }

    static void checkPanels(DType t, int rows, int cols) {
        Tensor w = MatVecTest.randomMatrix(t, rows, cols, 8);
        float[] deq = Dequant.toFloats(w);
        InterleavedRows iq = InterleavedRows.of(w, Arena.ofAuto(), false);
        float[] panel = new float[cols * PanelWeight.WIDTH];
        for (int p = 0; p < rows / PanelWeight.WIDTH; p++) {
            iq.decodePanel(p, panel);
            for (int k = 0; k < cols; k++) {
                for (int c = 0; c < PanelWeight.WIDTH; c++) {
                    float want = deq[(p * PanelWeight.WIDTH + c) * cols + k], got = panel[k * PanelWeight.WIDTH + c];
                    if (Float.floatToIntBits(want) != Float.floatToIntBits(got)) {
                        throw new AssertionError(t + " panel " + p + " row " + c + " col " + k + ": " + got + " vs " + want);
                    }
                }
            }
        }
    }
}
