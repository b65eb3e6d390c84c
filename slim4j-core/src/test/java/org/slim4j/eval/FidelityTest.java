package org.slim4j.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FidelityTest {

    @Test
    void identicalSetsArePerfectAndNoiseLowersEveryFigure() {
        Random r = new Random(1);
        float[][] a = new float[200][32], b = new float[200][32];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < 32; j++) {
                a[i][j] = (float) r.nextGaussian();
                b[i][j] = a[i][j] + 0.5f * (float) r.nextGaussian();
            }
        }
        Fidelity same = Fidelity.of(a, a);
        assertEquals(1, same.meanCosine(), 1e-6);
        assertEquals(1, same.minCosine(), 1e-6);
        assertEquals(1, same.top10Overlap(), 1e-12);
        Fidelity noisy = Fidelity.of(a, b);
        assertTrue(noisy.meanCosine() < 0.95 && noisy.minCosine() <= noisy.p1Cosine() && noisy.p1Cosine() <= noisy.meanCosine(), noisy.toString());
        assertTrue(noisy.top10Overlap() < 0.9 && noisy.top10Overlap() > 0.05, noisy.toString());
    }

    @Test
    void nearestIsOrderedAndExcludesItself() {
        float[][] e = {{1, 0}, {0.9f, 0.1f}, {0, 1}, {0.99f, 0.01f}};
        for (float[] v : e) {
            float n = (float) Math.hypot(v[0], v[1]);
            v[0] /= n;
            v[1] /= n;
        }
        assertArrayEquals(new int[] {3, 1}, Fidelity.nearest(e, 0, 2));
    }
}
