package org.slim4j.compress.lowrank;

import org.slim4j.testutil.LayerError;
import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;
import org.slim4j.compress.lowrank.Asvd;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.Rtn;

class LowRankTest {
    static float[] gaussian(int n, long seed) {
        Random rnd = new Random(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) rnd.nextGaussian();
        return w;
    }

    static double frob2(float[] a, float[] b) {
        double e = 0;
        for (int i = 0; i < a.length; i++) e += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
        return e;
    }

    /** Inputs with a few dominant, correlated directions, as hidden states have. */
    static float[] inputs(int n, int cols, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n * cols];
        double[][] dirs = new double[4][cols];
        for (double[] d : dirs) for (int j = 0; j < cols; j++) d[j] = rnd.nextGaussian();
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 4; k++) {
                double a = rnd.nextGaussian() * 5;
                for (int j = 0; j < cols; j++) x[i * cols + j] += (float) (a * dirs[k][j]);
            }
            for (int j = 0; j < cols; j++) x[i * cols + j] += (float) (0.3 * rnd.nextGaussian());
        }
        return x;
    }

    @Test
    void truncationErrorIsTheDiscardedEnergy() {
        int rows = 48, cols = 80;
        float[] w = gaussian(rows * cols, 1);
        Spectrum sp = Spectrum.of(w, rows, cols);
        double[] s = sp.singularValues();
        for (int i = 1; i < s.length; i++) assertTrue(s[i - 1] >= s[i]);
        assertEquals(frob2(w, new float[w.length]), sp.tailEnergy(0), 1e-6 * sp.tailEnergy(0));
        for (int r : new int[] {1, 8, 24, 47}) {
            LowRankLinear lr = new Svd(x -> r).compress(new LinearWeight("w", rows, cols, w), null) instanceof LowRankLinear l ? l : null;
            assertEquals(r, lr.rank());
            // fp16 factors add a little on top of the exact Eckart-Young error
            assertEquals(sp.tailEnergy(r), frob2(w, lr.effectiveWeight()), 2e-3 * sp.tailEnergy(r) + 1e-3, "rank " + r);
            assertEquals((long) (rows + cols) * r * 16, lr.storageBits());
        }
    }

    @Test
    void activationAwareWithIdentityGramIsPlainSvd() {
        int rows = 40, cols = 64;
        LinearWeight w = new LinearWeight("w", rows, cols, gaussian(rows * cols, 2));
        InputStats st = new InputStats(cols, true);
        float[] eye = new float[cols * cols];
        for (int i = 0; i < cols; i++) eye[i * cols + i] = 1;
        st.add(eye, cols); // X = I, so X^T X = I
        float[] a = new SvdLlm(RankRule.ratio(0.3)).compress(w, st).effectiveWeight();
        float[] b = new Svd(RankRule.ratio(0.3)).compress(w, st).effectiveWeight();
        assertEquals(0, frob2(a, b), 1e-4 * frob2(b, new float[b.length]));
    }

    @Test
    void activationAwareHasLessOutputErrorAndItEqualsTheWhitenedTail() {
        int rows = 48, cols = 64, n = 500;
        LinearWeight w = new LinearWeight("w", rows, cols, gaussian(rows * cols, 3));
        float[] x = inputs(n, cols, 4);
        InputStats st = new InputStats(cols, true);
        st.add(x, n);
        for (int r : new int[] {4, 12, 24}) {
            double svdLlm = LayerError.outputError(w.w(), new SvdLlm(v -> r).compress(w, st).effectiveWeight(), x, rows, cols, n);
            double svd = LayerError.outputError(w.w(), new Svd(v -> r).compress(w, st).effectiveWeight(), x, rows, cols, n);
            assertTrue(svdLlm < svd, "rank " + r + ": " + svdLlm + " vs " + svd);
            double tail = Spectrum.of(w.w(), rows, cols, st.gram()).tailEnergy(r);
            assertEquals(tail, svdLlm, 0.01 * tail, "rank " + r);
        }
    }

    @Test
    void asvdScalesByActivationMagnitude() {
        int rows = 48, cols = 64, n = 400;
        LinearWeight w = new LinearWeight("w", rows, cols, gaussian(rows * cols, 8));
        Random rnd = new Random(9);
        float[] x = new float[n * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * (i % cols < 8 ? 20 : 0.5)); // 8 loud channels
        InputStats st = new InputStats(cols, false);
        st.add(x, n);
        for (int r : new int[] {6, 16}) {
            double asvd = LayerError.outputError(w.w(), new Asvd(v -> r).compress(w, st).effectiveWeight(), x, rows, cols, n);
            double svd = LayerError.outputError(w.w(), new Svd(v -> r).compress(w, st).effectiveWeight(), x, rows, cols, n);
            assertTrue(asvd < 0.8 * svd, "rank " + r + ": ASVD " + asvd + " vs SVD " + svd);
        }
        // equal magnitudes on every channel: the scaling is uniform and ASVD is the plain SVD
        InputStats flat = new InputStats(cols, false);
        float[] ones = new float[cols];
        java.util.Arrays.fill(ones, 2f);
        flat.add(ones, 1);
        float[] a = new Asvd(RankRule.ratio(0.3)).compress(w, flat).effectiveWeight();
        float[] b = new Svd(RankRule.ratio(0.3)).compress(w, flat).effectiveWeight();
        assertEquals(0, frob2(a, b), 1e-4 * frob2(b, new float[b.length]));
    }

    @Test
    void budgetGoesWhereTheSpectrumNeedsItAndBeatsAUniformRatio() {
        int rows = 64, cols = 64;
        // layer "low" is rank 3 plus noise; layer "full" is a full-rank Gaussian
        float[] a = gaussian(rows * 3, 5), b = gaussian(3 * cols, 6), noise = gaussian(rows * cols, 7);
        float[] low = new float[rows * cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) {
            double v = 0.01 * noise[i * cols + j];
            for (int k = 0; k < 3; k++) v += a[i * 3 + k] * b[k * cols + j];
            low[i * cols + j] = (float) v;
        }
        float[] full = gaussian(rows * cols, 8);
        Map<String, Spectrum> layers = new LinkedHashMap<>();
        layers.put("low", Spectrum.of(low, rows, cols));
        layers.put("full", Spectrum.of(full, rows, cols));
        long budget = 2L * 16 * (rows + cols); // what a uniform rank 16 would spend
        Map<String, Integer> ranks = RankBudget.allocate(layers, budget, RankBudget.Criterion.ENERGY);
        assertTrue(RankBudget.parameters(layers, ranks) <= budget);
        assertTrue(RankBudget.parameters(layers, ranks) > budget - (rows + cols));
        assertTrue(ranks.get("low") >= 3 && ranks.get("low") < 8, ranks.toString());
        assertTrue(ranks.get("full") > 16, ranks.toString());
        double budgeted = 0, uniform = 0;
        for (var e : layers.entrySet()) {
            double total = e.getValue().tailEnergy(0);
            budgeted += e.getValue().tailEnergy(ranks.get(e.getKey())) / total;
            uniform += e.getValue().tailEnergy(16) / total;
        }
        assertTrue(budgeted < uniform, budgeted + " vs " + uniform);
        // the default (log error, floor 0.75 of the uniform rank) keeps every layer at 12 or more and spends the budget
        Map<String, Integer> byDefault = RankBudget.allocate(layers, budget);
        assertTrue(byDefault.get("low") >= 12 && byDefault.get("full") >= 12, byDefault.toString());
        assertTrue(RankBudget.parameters(layers, byDefault) <= budget);
        assertTrue(RankBudget.parameters(layers, byDefault) > budget - (rows + cols));
    }

    @Test
    void sparsePlusLowRankRecoversOutliersThatSvdMisses() {
        int rows = 48, cols = 48;
        float[] a = gaussian(rows * 4, 9), b = gaussian(4 * cols, 10);
        float[] w = new float[rows * cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) for (int k = 0; k < 4; k++) w[i * cols + j] += a[i * 4 + k] * b[k * cols + j];
        Random rnd = new Random(11);
        for (int k = 0; k < 40; k++) w[rnd.nextInt(w.length)] += (float) (30 * (rnd.nextBoolean() ? 1 : -1));
        LinearWeight lw = new LinearWeight("w", rows, cols, w);
        double svd = frob2(w, new Svd(v -> 4).compress(lw, null).effectiveWeight());
        SumLinear slr = (SumLinear) new SparsePlusLowRank(v -> 4, 0.03, 20, false).compress(lw, null);
        double both = frob2(w, slr.effectiveWeight());
        assertTrue(both < 0.05 * svd, both + " vs " + svd);
        assertEquals(slr.base().storageBits() + (long) (rows + cols) * 4 * 16, slr.storageBits());
    }

    @Test
    void lowRankCorrectionShrinksTheQuantizationErrorByItsTail() {
        int rows = 64, cols = 128, n = 400;
        LinearWeight w = new LinearWeight("w", rows, cols, gaussian(rows * cols, 12));
        Rtn rtn = new Rtn(new QuantScheme(3, 32, true), false);
        float[] q = rtn.compress(w, null).effectiveWeight();
        float[] residual = w.w().clone();
        for (int i = 0; i < q.length; i++) residual[i] -= q[i];
        SumLinear c = (SumLinear) new LowRankCorrected(rtn, v -> 16, false).compress(w, null);
        double expected = Spectrum.of(residual, rows, cols).tailEnergy(16);
        assertEquals(expected, frob2(w.w(), c.effectiveWeight()), 0.01 * expected);
        assertTrue(expected < frob2(w.w(), q));
        // activation-aware correction wins on the calibration outputs
        float[] x = inputs(n, cols, 13);
        InputStats st = new InputStats(cols, true);
        st.add(x, n);
        double plain = LayerError.outputError(w.w(), c.effectiveWeight(), x, rows, cols, n);
        double aware = LayerError.outputError(w.w(), new LowRankCorrected(rtn, v -> 16, true).compress(w, st).effectiveWeight(), x, rows, cols, n);
        assertTrue(aware < plain, aware + " vs " + plain);
    }
}
