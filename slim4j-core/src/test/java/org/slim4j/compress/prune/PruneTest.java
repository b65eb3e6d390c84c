package org.slim4j.compress.prune;

import org.slim4j.testutil.LayerError;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;
import org.slim4j.tensor.quant.QuantScheme;

class PruneTest {
    static LinearWeight random(int rows, int cols, long seed) {
        Random rnd = new Random(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        return new LinearWeight("w", rows, cols, w);
    }

    /** Calibration inputs with very unequal channel scales and correlated channels, as real activations have. */
    static float[] inputs(int n, int cols, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n * cols];
        for (int i = 0; i < n; i++) {
            double common = rnd.nextGaussian();
            for (int j = 0; j < cols; j++) x[i * cols + j] = (float) ((rnd.nextGaussian() + 0.7 * common) * (1 + 4 * (j % 7 == 0 ? 1 : 0)));
        }
        return x;
    }

    static double[] identity(int n) {
        double[] h = new double[n * n];
        for (int i = 0; i < n; i++) h[i * n + i] = 1;
        return h;
    }

    @Test
    void nmMasksKeepExactlyNOfEveryM() {
        LinearWeight w = random(16, 64, 1);
        InputStats st = new InputStats(64, true);
        st.add(inputs(100, 64, 2), 100);
        for (int[] nm : new int[][] {{2, 4}, {4, 8}}) {
            SparsityPattern p = SparsityPattern.nm(nm[0], nm[1]);
            for (var c : new org.slim4j.compress.Compressor[] {new Magnitude(p), new Wanda(p), new SparseGpt(p)}) {
                SparseLinear s = (SparseLinear) c.compress(w, st);
                for (int r = 0; r < 16; r++) {
                    for (int g = 0; g < 64; g += nm[1]) {
                        int kept = 0;
                        for (int i = 0; i < nm[1]; i++) if (s.keep()[r * 64 + g + i]) kept++;
                        assertEquals(nm[0], kept, c.name() + " " + p + " row " + r + " group " + g);
                    }
                }
                assertEquals(0.5, s.sparsity(), 1e-12);
            }
        }
    }

    @Test
    void unstructuredHitsTheRequestedSparsityAndZeroesOnlyPrunedWeights() {
        LinearWeight w = random(32, 96, 3);
        for (double sp : new double[] {0.1, 0.3, 0.5, 0.7, 0.9}) {
            SparseLinear s = (SparseLinear) new Magnitude(SparsityPattern.unstructured(sp)).compress(w, null);
            assertEquals(Math.floor(32 * 96 * sp), 32 * 96 - s.values().length);
            float[] e = s.effectiveWeight();
            for (int i = 0; i < e.length; i++) {
                if (s.keep()[i]) assertEquals(Float.float16ToFloat(Float.floatToFloat16(w.w()[i])), e[i]);
                else assertEquals(0f, e[i]);
            }
        }
    }

    @Test
    void wandaWithUniformNormsIsMagnitudePerRow() {
        LinearWeight w = random(24, 48, 4);
        InputStats st = new InputStats(48, false);
        float[] x = new float[48];
        java.util.Arrays.fill(x, 0.5f);
        st.add(x, 1);
        for (SparsityPattern p : new SparsityPattern[] {SparsityPattern.unstructured(0.5), SparsityPattern.unstructured(0.8), SparsityPattern.nm(2, 4)}) {
            SparseLinear a = (SparseLinear) new Wanda(p).compress(w, st);
            SparseLinear b = (SparseLinear) new Magnitude(p, true).compress(w, null);
            assertArrayEquals(b.keep(), a.keep(), p.toString());
        }
        // and with uneven norms the masks differ: the test above is not vacuous
        InputStats uneven = new InputStats(48, false);
        uneven.add(inputs(50, 48, 5), 50);
        assertFalse(java.util.Arrays.equals(((SparseLinear) new Wanda(SparsityPattern.unstructured(0.5)).compress(w, uneven)).keep(),
                ((SparseLinear) new Magnitude(SparsityPattern.unstructured(0.5), true).compress(w, null)).keep()));
    }

    @Test
    void sparseGptWithIdentityHessianIsMagnitudePerColumnBlock() {
        int rows = 8, cols = 320; // three blocks, the last one partial
        LinearWeight w = random(rows, cols, 6);
        SparsityPattern p = SparsityPattern.unstructured(0.6);
        SparseLinear s = (SparseLinear) new SparseGpt(p).prune(w, identity(cols));
        boolean[] expect = new boolean[rows * cols];
        java.util.Arrays.fill(expect, true);
        double[] score = new double[rows * cols];
        for (int i = 0; i < score.length; i++) score[i] = Math.abs(w.w()[i]);
        for (int c = 0; c < cols; c += SparseGpt.BLOCK) {
            Masks.pruneSmallest(score, expect, Masks.columns(rows, cols, c, Math.min(cols, c + SparseGpt.BLOCK)), 0.6);
        }
        assertArrayEquals(expect, s.keep());
        // no off-diagonal curvature, so kept weights are not moved
        float[] e = s.effectiveWeight();
        for (int i = 0; i < e.length; i++) if (expect[i]) assertEquals(Float.float16ToFloat(Float.floatToFloat16(w.w()[i])), e[i]);
        // 2:4 with the identity is magnitude 2:4 per row
        SparseLinear nm = (SparseLinear) new SparseGpt(SparsityPattern.nm(2, 4)).prune(w, identity(cols));
        assertArrayEquals(((SparseLinear) new Magnitude(SparsityPattern.nm(2, 4)).compress(w, null)).keep(), nm.keep());
    }

    @Test
    void calibrationAwarePrunersHaveLowerOutputErrorThanMagnitude() {
        int rows = 64, cols = 128, n = 400;
        LinearWeight w = random(rows, cols, 7);
        float[] x = inputs(n, cols, 8);
        InputStats st = new InputStats(cols, true);
        st.add(x, n);
        for (SparsityPattern p : new SparsityPattern[] {SparsityPattern.unstructured(0.5), SparsityPattern.nm(2, 4)}) {
            double mag = LayerError.outputError(w.w(), new Magnitude(p).compress(w, st).effectiveWeight(), x, rows, cols, n);
            double wanda = LayerError.outputError(w.w(), new Wanda(p).compress(w, st).effectiveWeight(), x, rows, cols, n);
            double sgpt = LayerError.outputError(w.w(), new SparseGpt(p).compress(w, st).effectiveWeight(), x, rows, cols, n);
            assertTrue(wanda < mag, p + " wanda " + wanda + " vs magnitude " + mag);
            assertTrue(sgpt < wanda, p + " sparsegpt " + sgpt + " vs wanda " + wanda);
        }
    }

    @Test
    void storageFollowsTheCompressedTensorsLayouts() {
        LinearWeight w = random(16, 64, 9);
        SparseLinear u = (SparseLinear) new Magnitude(SparsityPattern.unstructured(0.5)).compress(w, null);
        assertEquals(16 * 64 + 512 * 16 + 16 * 32, u.storageBits()); // bitmask + fp16 kept + row offsets
        SparseLinear s24 = (SparseLinear) new Magnitude(SparsityPattern.nm(2, 4)).compress(w, null);
        assertEquals(9.0, s24.bitsPerWeight(), 1e-12); // sparse-24-bitmask: 1 mask bit + half the weights in fp16
    }

    @Test
    void jointQuantizationKeepsTheMaskAndPutsKeptWeightsOnTheGrid() {
        int rows = 32, cols = 128, n = 300;
        LinearWeight w = random(rows, cols, 10);
        InputStats st = new InputStats(cols, true);
        st.add(inputs(n, cols, 11), n);
        QuantScheme s = new QuantScheme(4, 32, true);
        SparseQuantizedLinear q = (SparseQuantizedLinear) new SparseGpt(SparsityPattern.nm(2, 4), 0.01, s).compress(w, st);
        float[] e = q.effectiveWeight();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                if (!q.sparse().keep()[i]) assertEquals(0f, e[i]);
                float scale = q.quant().scales()[r * 4 + c / 32];
                double steps = e[i] / scale;
                assertEquals(Math.rint(steps), steps, 1e-3, "on the int4 grid");
            }
        }
        // 2:4 int4 g32 as the file stores it: every code at 4 bits (pruned ones at the zero point), one fp16 scale per 32
        assertEquals(4 + 16.0 / 32, q.bitsPerWeight(), 1e-9);
    }
}
