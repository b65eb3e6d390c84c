package org.slim4j.compress;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class OutputErrorTest {
    /** Rows taken a slab at a time (to bound memory) give the error of the whole matrix at once, partial last slab included. */
    @Test
    void slabsGiveTheErrorOfAllRowsAtOnce() {
        Random rnd = new Random(3);
        int rows = 2 * 15 * 256 + 101, cols = 48;
        float[] w = new float[rows * cols], q = new float[w.length], d = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
            q[i] = Math.round(w[i] * 4) / 4f;
            d[i] = w[i] - q[i];
        }
        double[] x = new double[64 * cols];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian();
        double[] gram = new double[cols * cols];
        for (int a = 0; a < cols; a++) for (int b = 0; b < cols; b++) for (int s = 0; s < 64; s++) gram[a * cols + b] += x[s * cols + a] * x[s * cols + b];
        float[] g = OutputError.toFloat(gram);
        double expected = Math.sqrt(OutputError.quadratic(d, rows, cols, g) / OutputError.quadratic(w, rows, cols, g));
        double got = OutputError.relative(w, q, rows, cols, gram);
        assertTrue(got > 0.01 && got < 1, "a real error: " + got);
        // the same sums in the same order; the kernel's vector reductions may change order once C2 compiles them
        // (1e-10 relative between the first call and later ones), a lost or doubled slab would be far off
        assertEquals(expected, got, 1e-9 * expected);
    }
}
