package org.slim4j.compress.quant;

import org.slim4j.tensor.quant.QuantScheme;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

class SqueezeLlmTest {
    static final int ROWS = 64, COLS = 256;

    /** Gaussian weights with a few large outliers, and inputs whose channels differ in scale (some much hotter). */
    static LinearWeight weights(Random rnd) {
        float[] w = new float[ROWS * COLS];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.02);
        for (int i = 0; i < w.length / 200; i++) w[rnd.nextInt(w.length)] = (float) ((rnd.nextBoolean() ? 1 : -1) * (0.1 + 0.1 * rnd.nextDouble()));
        return new LinearWeight("w", ROWS, COLS, w);
    }

    static InputStats stats(Random rnd) {
        InputStats s = new InputStats(COLS, false);
        int n = 128;
        float[] x = new float[n * COLS];
        for (int c = 0; c < COLS; c++) {
            double scale = c % 16 == 0 ? 10 : 0.5 + rnd.nextDouble();
            for (int i = 0; i < n; i++) x[i * COLS + c] = (float) (rnd.nextGaussian() * scale);
        }
        s.add(x, n);
        return s;
    }

    static double weightedError(float[] a, float[] b, double[] sens) {
        double e = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            e += sens[i % COLS] * d * d;
        }
        return e;
    }

    @Test
    void lut4BeatsRtn4PerChannelInWeightedError() {
        Random rnd = new Random(7);
        LinearWeight w = weights(rnd);
        InputStats st = stats(rnd);
        double[] sens = SqueezeLlm.sensitivity(st, COLS);
        var rtn = Rtn.quantize(w, new QuantScheme(4, QuantScheme.PER_CHANNEL, false), false, "rtn");
        var rtnMse = Rtn.quantize(w, new QuantScheme(4, QuantScheme.PER_CHANNEL, false), true, "rtn-mse");
        LutLinear lut = new SqueezeLlm(4, 0).compress(w, st);
        LutLinear lutSparse = new SqueezeLlm(4, 0.005).compress(w, st);
        LutLinear lut3 = new SqueezeLlm(3, 0.005).compress(w, st);
        double eRtn = weightedError(w.w(), rtn.effectiveWeight(), sens), eRtnMse = weightedError(w.w(), rtnMse.effectiveWeight(), sens);
        double eLut = weightedError(w.w(), lut.effectiveWeight(), sens), eSparse = weightedError(w.w(), lutSparse.effectiveWeight(), sens);
        double eLut3 = weightedError(w.w(), lut3.effectiveWeight(), sens);
        System.out.printf("weighted error: rtn4 %.4e (%.3f b/w), rtn4-mse %.4e, lut4 %.4e (%.3f b/w), lut4+0.5%% %.4e (%.3f b/w), lut3+0.5%% %.4e (%.3f b/w)%n",
                eRtn, rtn.bitsPerWeight(), eRtnMse, eLut, lut.bitsPerWeight(), eSparse, lutSparse.bitsPerWeight(), eLut3, lut3.bitsPerWeight());
        assertTrue(eLut < eRtn, "lut4 " + eLut + " vs rtn4 " + eRtn);
        assertTrue(eLut < eRtnMse, "lut4 " + eLut + " vs rtn4 with clipping search " + eRtnMse);
        assertTrue(eSparse < eLut, "outliers kept aside help: " + eSparse + " vs " + eLut);
        assertEquals(COLS * ROWS / 200, lutSparse.outlierIndex().length, 1);
    }

    @Test
    void sensitivityWeightingLowersTheWeightedError() {
        Random rnd = new Random(3);
        LinearWeight w = weights(rnd);
        InputStats st = stats(rnd);
        double[] sens = SqueezeLlm.sensitivity(st, COLS);
        double weighted = weightedError(w.w(), new SqueezeLlm(3, 0).compress(w, st).effectiveWeight(), sens);
        double plain = weightedError(w.w(), new SqueezeLlm(3, 0).compress(w, null).effectiveWeight(), sens);
        assertTrue(weighted < plain, weighted + " vs unweighted k-means " + plain);
    }

    @Test
    void kmeansObjectiveNeverIncreasesAndConverges() {
        Random rnd = new Random(11);
        float[] v = new float[2000];
        double[] wt = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextBoolean() ? rnd.nextGaussian() : 3 + 0.3 * rnd.nextGaussian());
            wt[i] = 0.1 + rnd.nextDouble() * (i % 7 == 0 ? 20 : 1);
        }
        List<Double> trace = new ArrayList<>();
        SqueezeLlm.Fit f = SqueezeLlm.kmeans(v, wt, 8, trace);
        assertTrue(trace.size() > 1, "at least one refinement");
        for (int i = 1; i < trace.size(); i++) assertTrue(trace.get(i) <= trace.get(i - 1) * (1 + 1e-12), "iteration " + i + ": " + trace);
        assertTrue(trace.size() < SqueezeLlm.MAX_ITERS, "converged before the cap: " + trace.size());
        for (int j = 1; j < 8; j++) assertTrue(f.centroids()[j] >= f.centroids()[j - 1], "ascending centroids");
        // at convergence each centroid is its cluster's weighted mean: moving it can only raise the objective
        double[] c = f.centroids().clone();
        c[3] += 0.01;
        assertTrue(SqueezeLlm.objective(v, wt, c, f.assignment()) > f.objective());
    }

    @Test
    void storageBitsCountCodesTablesAndOutliers() {
        LutLinear l = new SqueezeLlm(3, 0.01).compress(weights(new Random(1)), null);
        long outliers = l.outlierIndex().length;
        assertEquals(Math.round(0.01 * ROWS * COLS), outliers);
        assertEquals((long) ROWS * COLS * 3 + ROWS * 8 * 16 + outliers * 48, l.storageBits());
        float[] e = l.effectiveWeight();
        for (int i = 0; i < outliers; i++) assertEquals(l.outlierValue()[i], e[l.outlierIndex()[i]]);
    }
}
