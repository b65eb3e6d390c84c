package org.slim4j.eval;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class LogitMathTest {

    @Test
    void klDivergenceMatchesTheTextbookFormula() {
        // P = softmax(ln[0.5, 0.25, 0.25]) = [0.5, 0.25, 0.25]; Q = [0.25, 0.25, 0.5]
        float[] p = {(float) Math.log(0.5), (float) Math.log(0.25), (float) Math.log(0.25)};
        float[] q = {(float) Math.log(0.25) + 3, (float) Math.log(0.25) + 3, (float) Math.log(0.5) + 3}; // shift-invariant
        double expected = 0.5 * Math.log(0.5 / 0.25) + 0.25 * Math.log(1) + 0.25 * Math.log(0.25 / 0.5);
        assertEquals(expected, LogitMath.kl(p, 0, q, 0, 3), 1e-6);
        assertEquals(0, LogitMath.kl(p, 0, p, 0, 3), 1e-12);
    }

    @Test
    void nllIsMinusLogSoftmax() {
        float[] logits = {1000f, 1000f, 1000f, 1000f}; // large values: must not overflow
        assertEquals(Math.log(4), LogitMath.nll(logits, 0, 4, 2), 1e-9);
        assertEquals(2, LogitMath.argmax(new float[] {0, 1, 5, 3}, 0, 4));
    }

    @Test
    void vectorisedRowsAgreeWithTheTextbookFormulasInDouble() {
        java.util.Random r = new java.util.Random(7);
        for (int n : new int[] {1, 15, 16, 17, 100, 49_152 + 5}) {
            float[] a = new float[n + 3], b = new float[n + 3];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (r.nextGaussian() * 4 + 10); // logits of a real model's scale, away from zero
                b[i] = a[i] + (float) (r.nextGaussian() * 0.3);
            }
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < n; i++) max = Math.max(max, a[3 + i]);
            for (int i = 0; i < n; i++) sum += Math.exp(a[3 + i] - max);
            double lseA = max + Math.log(sum);
            assertEquals(lseA, LogitMath.logSumExp(a, 3, n), 1e-6 * Math.abs(lseA), "n " + n);
            double lseB = LogitMath.logSumExp(b, 3, n), kl = 0;
            for (int i = 0; i < n; i++) kl += Math.exp(a[3 + i] - lseA) * ((a[3 + i] - lseA) - (b[3 + i] - lseB));
            assertEquals(kl, LogitMath.kl(a, 3, b, 3, n), 1e-6 * Math.max(kl, 1e-3), "n " + n);
        }
    }

    @Test
    void theCRowsAreTheJavaArithmetic() {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.slim4j.tensor.kernel.NativeKernels.available(), "no C kernels here");
        java.util.Random r = new java.util.Random(8);
        for (int n : new int[] {1, 16, 31, 49_152 + 5}) {
            float[] a = new float[n + 3], b = new float[n + 3];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (r.nextGaussian() * 4 + 10);
                b[i] = a[i] + (float) (r.nextGaussian() * 0.3);
            }
            a[3] = -1e4f; // exp flushes to zero
            double java = LogitMath.logSumExpJava(a, 3, n), c = org.slim4j.tensor.kernel.NativeKernels.logSumExp(a, 3, n);
            assertEquals(java, c, 1e-13 * Math.abs(java), "n " + n); // the same exp bits, summed in another order
            double lb = LogitMath.logSumExpJava(b, 3, n);
            double klJava = LogitMath.klJava(a, 3, java, b, 3, lb, n);
            assertEquals(klJava, org.slim4j.tensor.kernel.NativeKernels.kl(a, 3, java, b, 3, lb, n), 1e-12 * Math.max(klJava, 1e-6), "n " + n);
        }
    }

    @Test
    void percentilesInterpolateLinearly() {
        double[] sorted = {0, 1, 2, 3, 4};
        assertEquals(4, KlDivergence.percentile(sorted, 100), 0);
        assertEquals(2, KlDivergence.percentile(sorted, 50), 0);
        assertEquals(3.6, KlDivergence.percentile(sorted, 90), 1e-12);
        assertEquals(0, KlDivergence.percentile(sorted, 0), 0);
    }

    @Test
    void chunksScoreTheSecondHalfLikeLlamaCpp() {
        int[] tokens = new int[300];
        for (int i = 0; i < tokens.length; i++) tokens[i] = i;
        Chunks c = Chunks.of(tokens, 128, 16, -1);
        assertEquals(2, c.count()); // 300 / 128, capped by what the text holds
        assertEquals(64, c.firstScored());
        assertEquals(63, c.scoredPerChunk());
        assertEquals(128 + 64 + 1, c.target(1, 64));
        assertEquals(128, c.chunk(1)[0]);
        assertEquals(7, Chunks.of(tokens, 128, 16, 7).chunk(1)[0]); // BOS replaces each chunk's first token
        assertThrows(IllegalArgumentException.class, () -> Chunks.of(new int[10], 128, 1, -1));
    }
}
