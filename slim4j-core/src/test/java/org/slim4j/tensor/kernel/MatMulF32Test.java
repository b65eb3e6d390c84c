package org.slim4j.tensor.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slim4j.tensor.Dequant;

class MatMulF32Test {

    @Test
    void matchesAPlainLoopForOddShapes() {
        Random r = new Random(7);
        int[][] shapes = {{1, 1, 1}, {2, 5, 3}, {3, 4, 8}, {7, 13, 37}, {17, 384, 384}, {4, 70, 1536}, {5, 131, 100}};
        try (Arena arena = Arena.ofShared()) {
            for (int[] s : shapes) {
                int n = s[0], out = s[1], in = s[2];
                float[] x = new float[n * in], w = new float[out * in];
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
                MemorySegment seg = arena.allocate(4L * w.length);
                for (int i = 0; i < w.length; i++) seg.setAtIndex(Dequant.F32, i, w[i]);
                for (boolean parallel : new boolean[] {false, true}) {
                    float[] y = new float[n * out];
                    MatMulF32.forward(seg, out, in, x, n, y, parallel);
                    for (int i = 0; i < n; i++) {
                        for (int o = 0; o < out; o++) {
                            double want = 0;
                            for (int k = 0; k < in; k++) want += (double) x[i * in + k] * w[o * in + k];
                            assertEquals(want, y[i * out + o], 1e-4 * Math.sqrt(in) + 1e-5, "shape n,out,in " + n + "," + out + "," + in + " at " + i + "," + o);
                        }
                    }
                }
            }
        }
    }

    @Test
    void rejectsATooSmallWeight() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> MatMulF32.forward(arena.allocate(4 * 6), 3, 3, new float[3], 1, new float[3], false));
        }
    }
}
