package org.slim4j.compress.quant;

import org.slim4j.tensor.quant.QuantScheme;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slim4j.compress.LinearWeight;

class RtnTest {

    @Test
    void gridFollowsCompressedTensorsFormulas() {
        // int4 asym on [-1, 2]: scale = 3/15 = 0.2 (stored as fp16: rounded up to 0.2000732), zero = round(-8 - (-1 / 0.2)) = -3
        QuantGrid a = QuantGrid.fit(-1f, 2f, new QuantScheme(4, 32, false));
        assertEquals(0.2000732421875f, a.scale());
        assertEquals(-3, a.zero());
        assertEquals(7, a.quantize(2f));      // 2/0.2 - 3 = 7
        assertEquals(-8, a.quantize(-1f));    // -5 - 3
        assertEquals(-3, a.quantize(0f));     // zero is exact
        assertEquals(0f, a.dequantize(a.quantize(0f)));
        // int4 sym on [-1, 3]: scale = 3 / 7.5 = 0.4 (fp16 0.400146484375), codes clamp at 7 (3 / 0.4001 = 7.497 rounds to 7)
        QuantGrid s = QuantGrid.fit(-1f, 3f, new QuantScheme(4, 32, true));
        assertEquals(0.400146484375f, s.scale());
        assertEquals(0, s.zero());
        assertEquals(7, s.quantize(3f));
        assertEquals(-2, s.quantize(-1f)); // -2.5 rounds half to even, as torch.round does
        // positive-only data still keeps 0 representable
        QuantGrid p = QuantGrid.fit(1f, 2f, new QuantScheme(8, 32, false));
        assertEquals(0f, p.roundTrip(0f));
    }

    @Test
    void errorStaysWithinHalfAStepAndShrinksWithBits() {
        Random rnd = new Random(1);
        float[] w = new float[64 * 128];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        LinearWeight lw = new LinearWeight("w", 64, 128, w);
        double prev = Double.MAX_VALUE;
        for (int bits : new int[] {2, 3, 4, 8}) {
            QuantizedLinear q = Rtn.quantize(lw, new QuantScheme(bits, 32, false), false, "rtn");
            float[] d = q.effectiveWeight();
            double mse = 0;
            for (int i = 0; i < w.length; i++) {
                int r = i / 128, g = (i % 128) / 32;
                float scale = q.scales()[r * 4 + g];
                assertTrue(Math.abs(w[i] - d[i]) <= scale / 2 + 1e-6, "bits " + bits + " at " + i);
                mse += (w[i] - d[i]) * (w[i] - d[i]);
            }
            assertTrue(mse < prev, "bits " + bits);
            prev = mse;
            // storage: codes + a 16-bit scale and a b-bit zero per group of 32
            assertEquals(bits + (16.0 + bits) / 32, q.bitsPerWeight(), 1e-9);
        }
    }

    @Test
    void mseClippingNeverIncreasesTheError() {
        Random rnd = new Random(2);
        float[] w = new float[32 * 256];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * (rnd.nextInt(50) == 0 ? 8 : 1)); // outliers
        LinearWeight lw = new LinearWeight("w", 32, 256, w);
        for (QuantScheme s : new QuantScheme[] {new QuantScheme(4, 128, true), new QuantScheme(3, QuantScheme.PER_CHANNEL, false)}) {
            double plain = err(w, Rtn.quantize(lw, s, false, "rtn").effectiveWeight());
            double clipped = err(w, Rtn.quantize(lw, s, true, "rtn-mse").effectiveWeight());
            assertTrue(clipped < plain, s + ": " + clipped + " vs " + plain);
        }
    }

    private static double err(float[] a, float[] b) {
        double e = 0;
        for (int i = 0; i < a.length; i++) e += (a[i] - b[i]) * (a[i] - b[i]);
        return e;
    }
}
