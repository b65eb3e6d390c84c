package org.slim4j.model.bert;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class GeluTest {

    @Test
    void erfMatchesTabulatedValues() {
        // Abramowitz & Stegun table 7.1
        double[][] t = {{0, 0}, {0.1, 0.1124629160}, {0.5, 0.5204998778}, {1, 0.8427007929}, {2, 0.9953222650}, {3.5, 0.9999992569}};
        for (double[] r : t) {
            assertEquals(r[1], Gelu.erf(r[0]), 2e-7, "erf(" + r[0] + ")");
            assertEquals(-r[1], Gelu.erf(-r[0]), 2e-7, "erf(-" + r[0] + ")");
        }
    }

    @Test
    void geluIsExactNotTanh() {
        assertEquals(0.8413447460685429, Gelu.exact(1f), 1e-7);
        assertEquals(-0.15865525393145707, Gelu.exact(-1f), 1e-7);
        assertEquals(0, Gelu.exact(-20f), 1e-12);
        assertEquals(20, Gelu.exact(20f), 1e-6);
    }

    @Test
    void vectorGeluAgreesWithScalar() {
        float[] a = new float[10001];
        for (int i = 0; i < a.length; i++) a[i] = -12 + 24f * i / (a.length - 1);
        float[] b = a.clone();
        Gelu.inPlace(b, b.length);
        for (int i = 0; i < a.length; i++) {
            double want = Gelu.exact(a[i]);
            assertEquals(want, b[i], 2e-6 * Math.max(1, Math.abs(want)), "gelu(" + a[i] + ")");
        }
    }

    @Test
    void conventionsByName() {
        assertEquals(Conventions.Pooling.CLS, Conventions.forModelName("BAAI/bge-small-en-v1.5").pooling());
        assertEquals(Conventions.Pooling.MEAN, Conventions.forModelName("all-minilm-l6-v2.onnx").pooling());
        assertEquals("query: ", Conventions.forModelName("intfloat/e5-small-v2").queryPrefix());
        assertEquals("passage: ", Conventions.forModelName("intfloat/e5-small-v2").passagePrefix());
        assertEquals("", Conventions.forModelName("models/de5k-encoder").queryPrefix());
    }
}
