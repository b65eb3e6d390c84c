package org.slim4j.tensor.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slim4j.tensor.kernel.PackedGemm.Epilogue;

/**
 * The packed GEMM and integer panels against double-precision loops over the same weights. Tolerance for float
 * products: 1e-5 * sqrt(in) absolute on unit-Gaussian data (float32 summation in a different order); integer panels
 * decode bit-for-bit to (q - zero) * scale in float, as the load-time dequantization does.
 */
class PackedGemmTest {

    /** Row counts cover the 6-row tile, the clamped 4- and 6-row tails and more than one row block (MC = 72). */
    @Test
    void matchesAPlainLoopWithEveryEpilogueAndWorkerSplit() {
        Random r = new Random(11);
        int[][] shapes = {{1, 16, 1}, {2, 32, 5}, {5, 16, 384}, {7, 48, 37}, {13, 64, 385}, {75, 32, 800}, {150, 96, 64}};
        for (int[] s : shapes) {
            int n = s[0], out = s[1], in = s[2];
            float[] x = gauss(r, n * in), w = gauss(r, out * in), bias = gauss(r, out), res = gauss(r, n * out);
            F32Panels p = F32Panels.of(w, out, in);
            for (Epilogue e : new Epilogue[] {Epilogue.NONE, new Epilogue(bias, false, res), new Epilogue(bias, true, null)}) {
                for (int workers : new int[] {1, 3}) {
                    float[] y = new float[n * out];
                    for (int wk = 0; wk < workers; wk++) PackedGemm.run(x, n, p, e, y, wk, workers, true);
                    for (int i = 0; i < n; i++) {
                        for (int o = 0; o < out; o++) {
                            double v = 0;
                            for (int k = 0; k < in; k++) v += (double) x[i * in + k] * w[o * in + k];
                            if (e.bias() != null) v += bias[o];
                            if (e.residual() != null) v += res[i * out + o];
                            if (e.gelu()) v = 0.5 * v * (1 + erf(v / Math.sqrt(2)));
                            assertEquals(v, y[i * out + o], 1e-5 * Math.sqrt(in) + 1e-6, "n,out,in " + n + "," + out + "," + in + " " + e + " at " + i + "," + o);
                        }
                    }
                }
            }
        }
    }

    /** The C tile (where the library loaded) gives the Java tile's bits: same operations in the same order. */
    @Test
    void theCTileIsTheJavaTileBitForBit() {
        Random r = new Random(3);
        for (int[] s : new int[][] {{13, 64, 385}, {75, 96, 800}, {5, 32, 16}}) {
            int n = s[0], out = s[1], in = s[2];
            float[] x = gauss(r, n * in), w = gauss(r, out * in), bias = gauss(r, out), res = gauss(r, n * out);
            F32Panels p = F32Panels.of(w, out, in);
            Epilogue e = new Epilogue(bias, true, res);
            float[] java = new float[n * out], c = new float[n * out];
            PackedGemm.run(x, n, p, e, java, 0, 1, false);
            PackedGemm.run(x, n, p, e, c, 0, 1, true);
            assertArrayEquals(java, c, "n,out,in " + n + "," + out + "," + in);
        }
    }

    @Test
    void intPanelsDecodeToTheirDequantizedValuesAndMultiplyLikeThem() {
        Random r = new Random(5);
        int out = 32, in = 256;
        for (int bits : new int[] {8, 4, 3}) {
            for (int group : new int[] {0, 64, in}) {
                int groups = group == 0 ? 0 : in / group, off = 1 << (bits - 1);
                int[] q = new int[out * in];
                for (int i = 0; i < q.length; i++) q[i] = r.nextInt(2 * off) - off;
                int ns = group == 0 ? 1 : out * groups;
                float[] scales = new float[ns];
                int[] zeros = new int[ns];
                for (int i = 0; i < ns; i++) {
                    scales[i] = 0.01f + r.nextFloat() * 0.05f;
                    zeros[i] = r.nextInt(2 * off) - off;
                }
                int[] groupOf = IntPanels.contiguousGroups(in, group == 0 ? in : group);
                IntPanels p = IntPanels.of(out, in, bits, q, scales, zeros, groups, groupOf);
                float[] dense = new float[out * in];
                for (int o = 0; o < out; o++) {
                    for (int k = 0; k < in; k++) {
                        int g = groups == 0 ? 0 : o * groups + groupOf[k];
                        dense[o * in + k] = (q[o * in + k] - zeros[g]) * scales[g];
                    }
                }
                float[] buf = new float[in * 16];
                for (int panel = 0; panel < out / 16; panel++) {
                    p.view(panel, 0, in, buf);
                    for (int k = 0; k < in; k++) {
                        for (int c = 0; c < 16; c++) {
                            float want = dense[(panel * 16 + c) * in + k];
                            assertEquals(want, buf[k * 16 + c], 0f, bits + " bits, group " + group);
                        }
                    }
                }
                int n = 9;
                float[] x = gauss(r, n * in), y = new float[n * out], ref = new float[n * out];
                PackedGemm.run(x, n, p, Epilogue.NONE, y);
                PackedGemm.run(x, n, F32Panels.of(dense, out, in), Epilogue.NONE, ref);
                assertArrayEquals(ref, y, bits + " bits, group " + group); // same decoded floats, same kernel
            }
        }
    }

    @Test
    void stackedPanelsEqualTheirPartsSideBySide() {
        Random r = new Random(3);
        int n = 8, in = 40;
        float[] a = gauss(r, 16 * in), b = gauss(r, 32 * in), x = gauss(r, n * in);
        float[] both = new float[48 * in];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        float[] y = new float[n * 48], want = new float[n * 48];
        PackedGemm.run(x, n, new StackedPanels(F32Panels.of(a, 16, in), F32Panels.of(b, 32, in)), Epilogue.NONE, y);
        PackedGemm.run(x, n, F32Panels.of(both, 48, in), Epilogue.NONE, want);
        assertArrayEquals(want, y);
    }

    @Test
    void rejectsOutputWidthsThatAreNotWholePanels() {
        assertThrows(IllegalArgumentException.class, () -> F32Panels.of(new float[20 * 4], 20, 4));
        assertThrows(IllegalArgumentException.class, () -> IntPanels.of(16, 4, 8, new int[] {0, 0, 0, 300, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                new float[] {1}, new int[] {0}, 0, new int[4]));
    }

    /** erf by its Maclaurin series (Abramowitz & Stegun 7.1.5), exact to ~1e-9 for |x| < 5; +-1 beyond (1 - erf(5) < 2e-12). */
    static double erf(double x) {
        if (Math.abs(x) >= 5) return Math.signum(x);
        double sum = 0, term = x;
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    private static float[] gauss(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }
}
