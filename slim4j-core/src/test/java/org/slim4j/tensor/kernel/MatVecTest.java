package org.slim4j.tensor.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.quant.BlockCodecs;

/**
 * Every fast kernel against the exact path: Dequant of the same bytes, then a float64 dot.
 * Tolerance: 1e-4 relative to sum |w_i x_i| (float32 rounding of a reordered sum of a few thousand terms).
 */
class MatVecTest {
    static final Random RNG = new Random(7);

    static Tensor randomMatrix(DType t, int rows, int cols, long seed) {
        Random r = new Random(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian() * 0.5f;
        MemorySegment seg = Arena.ofAuto().allocate(t.bytesFor((long) rows * cols));
        switch (t) {
            case F32 -> MemorySegment.copy(v, 0, seg, Dequant.F32, 0, v.length);
            case F16 -> { for (int i = 0; i < v.length; i++) seg.set(Dequant.I16, 2L * i, Float.floatToFloat16(v[i])); }
            case BF16 -> { for (int i = 0; i < v.length; i++) seg.set(Dequant.I16, 2L * i, Dequant.floatToBf16(v[i])); }
            default -> BlockCodecs.encoder(t).encode(v, 0, seg, 0, v.length);
        }
        return new Tensor("w", t, new long[] {rows, cols}, seg);
    }

    static void assertMatches(Tensor w, float[] x, int n, float[] y, String what) {
        int rows = (int) w.rows(), cols = (int) w.cols();
        float[] deq = Dequant.toFloats(w);
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < rows; r++) {
                double s = 0, mag = 0;
                for (int j = 0; j < cols; j++) {
                    s += (double) deq[r * cols + j] * x[i * cols + j];
                    mag += Math.abs((double) deq[r * cols + j] * x[i * cols + j]);
                }
                double err = Math.abs(y[i * rows + r] - s);
                assertTrue(err <= 1e-4 * mag + 1e-6, what + " row " + r + " act " + i + ": " + y[i * rows + r] + " vs " + s);
            }
        }
    }

    static float[] acts(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) RNG.nextGaussian();
        return x;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K", "Q2_K", "Q3_K"})
    void oneAndManyRowsMatchExactPath(DType t) {
        int cols = t.blockSize == 256 ? 512 : t.isQuantized() ? 96 : 117; // float types: the two-vector loop, one vector and an odd tail at 256 and 512 bits
        int rows = 11; // not a multiple of the 4-row tile
        Tensor w = randomMatrix(t, rows, cols, 3);
        for (int n : new int[] {1, 2, 5}) {
            float[] x = acts(n * cols), y = new float[n * rows];
            MatVec.forward(w, x, n, y);
            assertMatches(w, x, n, y, t + " n=" + n);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void accumulateAddsToOutput(DType t) {
        int cols = t.blockSize == 256 ? 256 : 64;
        Tensor w = randomMatrix(t, 8, cols, 5);
        float[] x = acts(cols), y = new float[8], y2 = new float[8];
        MatVec.forward(w, x, 1, y);
        java.util.Arrays.fill(y2, 1f);
        MatVec.rows(w, 0, 8, x, 1, y2, 8, true, new float[MatVec.scratchSize(cols)]);
        for (int r = 0; r < 8; r++) assertEquals(y[r] + 1f, y2[r], 1e-5f);
    }

    @Test
    void halfConversionKeepsSubnormalsZerosAndSigns() {
        float[] v = {0f, -0f, 6.1e-5f, -5.96e-8f, 65504f, -2.5f, 1e-7f, 3.14159f};
        Tensor w = new Tensor("h", DType.F16, new long[] {8, 8}, Arena.ofAuto().allocate(128));
        for (int r = 0; r < 8; r++) for (int j = 0; j < 8; j++) w.data().set(Dequant.I16, 2L * (r * 8 + j), Float.floatToFloat16(r == j ? v[r] : 0f));
        float[] y = new float[8];
        MatVec.forward(w, new float[] {1, 1, 1, 1, 1, 1, 1, 1}, 1, y);
        for (int r = 0; r < 8; r++) assertEquals(Float.float16ToFloat(Float.floatToFloat16(v[r])), y[r], 0f, "value " + v[r]);
    }

    @Test
    void partialBlocksFailClearly() {
        // A quantized row must be whole blocks: Tensor.rowBytes and MatVec.check say so instead of reading past the row.
        Tensor w = new Tensor("odd", DType.Q4_0, new long[] {2, 40}, Arena.ofAuto().allocate(64));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MatVec.check(w));
        assertTrue(e.getMessage().contains("blocks"), e.getMessage());
    }
}
