package org.slim4j.tensor.kernel;

import static org.junit.jupiter.api.Assertions.*;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** {@link VectorExp} against {@link Math#exp} over the float range softmaxes and SwiGLU see, and its edges. */
class VectorExpTest {

    @Test
    void withinThreeUlpOfMathExpAndZeroForMaskedScores() {
        var sp = FloatVector.SPECIES_PREFERRED;
        float[] x = new float[sp.length()], y = new float[sp.length()];
        double worst = 0;
        for (float v = -86f; v <= 88f; v += 0.00731f) {
            for (int i = 0; i < x.length; i++) x[i] = v + i * 1e-4f;
            VectorExp.exp(FloatVector.fromArray(sp, x, 0)).intoArray(y, 0);
            for (int i = 0; i < x.length; i++) {
                double want = Math.exp(x[i]);
                if (want > Float.MAX_VALUE) continue;
                worst = Math.max(worst, Math.abs(y[i] - want) / Math.ulp((float) want));
            }
        }
        assertTrue(worst <= 3, "largest error " + worst + " ulp");
        for (int i = 0; i < x.length; i++) x[i] = i % 3 == 0 ? Float.NEGATIVE_INFINITY : i % 3 == 1 ? -1000f : 0f;
        VectorExp.exp(FloatVector.fromArray(sp, x, 0)).intoArray(y, 0);
        for (int i = 0; i < x.length; i++) assertEquals(i % 3 == 2 ? 1f : 0f, y[i], "exp(" + x[i] + ")");
        x[0] = 1000f;
        VectorExp.exp(FloatVector.fromArray(sp, x, 0)).intoArray(y, 0);
        assertTrue(Float.isFinite(y[0]) && y[0] > 1e38f, "clamped, not infinite: " + y[0]);
    }
}
