package org.slim4j.compress.quant;

import org.slim4j.tensor.quant.QuantScheme;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;
import org.slim4j.compress.OutputError;

class GptqTest {

    /** Correlated inputs with uneven channel scales: where GPTQ's error feedback has something to exploit. */
    private static float[] inputs(int n, int cols, Random rnd) {
        float[] x = new float[n * cols];
        float[] scale = new float[cols];
        for (int j = 0; j < cols; j++) scale[j] = (float) Math.exp(rnd.nextGaussian());
        for (int i = 0; i < n; i++) {
            double common = rnd.nextGaussian();
            for (int j = 0; j < cols; j++) x[i * cols + j] = (float) ((0.7 * common + rnd.nextGaussian()) * scale[j]);
        }
        return x;
    }

    private static LinearWeight weight(int rows, int cols, Random rnd) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.05);
        return new LinearWeight("w", rows, cols, w);
    }

    @Test
    void beatsRtnOnTheCalibrationInputs() {
        Random rnd = new Random(7);
        int rows = 48, cols = 96;
        LinearWeight w = weight(rows, cols, rnd);
        InputStats stats = new InputStats(cols, true);
        stats.add(inputs(1024, cols, rnd), 1024);
        for (QuantScheme s : new QuantScheme[] {new QuantScheme(4, 32, false), new QuantScheme(3, 32, false), new QuantScheme(4, -1, true)}) {
            double rtn = OutputError.relative(w.w(), Rtn.quantize(w, s, false, "rtn").effectiveWeight(), rows, cols, stats.gram());
            for (boolean actOrder : new boolean[] {false, true}) {
                Gptq g = new Gptq(s, 0.01, 16, actOrder, false, false);
                double gptq = OutputError.relative(w.w(), g.compress(w, stats).effectiveWeight(), rows, cols, stats.gram());
                assertTrue(gptq < 0.9 * rtn, s + " act-order " + actOrder + ": gptq " + gptq + " vs rtn " + rtn);
            }
        }
    }

    @Test
    void identityHessianWithoutDampeningIsRtn() {
        Random rnd = new Random(3);
        int rows = 10, cols = 64;
        LinearWeight w = weight(rows, cols, rnd);
        double[] eye = new double[cols * cols];
        for (int i = 0; i < cols; i++) eye[i * cols + i] = 1;
        for (QuantScheme s : new QuantScheme[] {new QuantScheme(4, 32, false), new QuantScheme(3, 16, true), new QuantScheme(8, -1, true)}) {
            QuantizedLinear rtn = Rtn.quantize(w, s, false, "rtn");
            QuantizedLinear gptq = new Gptq(s, 0, 8, false, false, false).quantize(w, eye.clone());
            assertArrayEquals(rtn.codes(), gptq.codes(), s.toString());
            assertArrayEquals(rtn.scales(), gptq.scales(), s.toString());
        }
    }

    /** The pass row by row with each lazy update applied column after column: the paper's loop, as an oracle. */
    private static void scalarPass(double[] x, double[] u, int cols, int blockSize, java.util.function.IntToDoubleFunction round) {
        for (int i1 = 0; i1 < cols; i1 += blockSize) {
            int i2 = Math.min(cols, i1 + blockSize);
            double[] err = new double[i2 - i1];
            for (int j = i1; j < i2; j++) {
                err[j - i1] = (x[j] - round.applyAsDouble(j)) / u[j * cols + j];
                for (int k = j + 1; k < i2; k++) x[k] -= err[j - i1] * u[j * cols + k];
            }
            for (int j = i1; j < i2; j++) for (int k = i2; k < cols; k++) x[k] -= err[j - i1] * u[j * cols + k];
        }
    }

    @Test
    void tiledPassIsTheRowByRowPass() {
        Random rnd = new Random(13);
        int rows = 37, cols = 203, blockSize = 24; // no multiple of a tile, a vector or a block
        InputStats stats = new InputStats(cols, true);
        stats.add(inputs(600, cols, rnd), 600);
        float[] w = weight(rows, cols, rnd).w();
        Gptq.Factor f = Gptq.factor(w, rows, cols, stats.hessian(), true, 0.01);
        double step = 0.02; // round to a fixed grid, so that both passes round the same values the same way
        double[] tiled = new double[rows * cols];
        Gptq.pass(rows, cols, f, blockSize, (r, x, at) -> {
            for (int j = 0; j < cols; j++) x[at + j] = w[r * cols + f.perm()[j]];
            return new Gptq.Row() {
                @Override
                public double round(int j, int c, double[] xs, int o) {
                    return tiled[r * cols + j] = Math.rint(xs[o + j] / step) * step;
                }
            };
        });
        int differ = 0;
        for (int r = 0; r < rows; r++) {
            double[] x = new double[cols], q = new double[cols];
            for (int j = 0; j < cols; j++) x[j] = w[r * cols + f.perm()[j]];
            scalarPass(x, f.u(), cols, blockSize, j -> q[j] = Math.rint(x[j] / step) * step);
            for (int j = 0; j < cols; j++) if (q[j] != tiled[r * cols + j]) differ++;
        }
        assertTrue(differ <= rows * cols / 1000, differ + " of " + rows * cols + " values rounded differently");
    }

    @Test
    void actOrderPermutesTheHessianInPlace() {
        Random rnd = new Random(11);
        int n = 37;
        double[] h = new double[n * n];
        for (int i = 0; i < h.length; i++) h[i] = rnd.nextGaussian();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = n - 1; i > 0; i--) { // Fisher-Yates: several cycles of several lengths
            int k = rnd.nextInt(i + 1), t = perm[i];
            perm[i] = perm[k];
            perm[k] = t;
        }
        double[] p = h.clone();
        Gptq.permuteSymmetric(p, n, perm);
        for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) assertEquals(h[perm[a] * n + perm[b]], p[a * n + b]);
    }

    @Test
    void gramFromTheFloatKernelMatchesADoubleLoop() {
        Random rnd = new Random(5);
        int n = 300, cols = 20;
        float[] x = inputs(n, cols, rnd);
        InputStats stats = new InputStats(cols, true);
        stats.add(x, 100);
        stats.add(java.util.Arrays.copyOfRange(x, 100 * cols, n * cols), n - 100);
        double[] g = stats.gram();
        for (int a = 0; a < cols; a++) {
            for (int b = 0; b < cols; b++) {
                double e = 0;
                for (int i = 0; i < n; i++) e += (double) x[i * cols + a] * x[i * cols + b];
                assertEquals(e, g[a * cols + b], 1e-4 * Math.abs(g[a * cols + a] + g[b * cols + b]));
            }
        }
    }
}
