package org.slim4j.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A decoder's steps around its matrix products, over whole rows of floats: RMSNorm and SwiGLU. With {@code c} (the
 * engine's {@link EngineOptions#cKernels}) and the C library loaded they run in C ({@code slim4j_rows.c}): there they
 * are fast from the first call, while the Java versions below run the Vector API's slow fallback until C2 compiles
 * them (an evaluation's first chunk spent most of its time there). The Java versions are the fallback and the oracle.
 */
public final class RowKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private RowKernels() {}

    /**
     * RMSNorm of {@code rows} rows of h values from in[inOff] into out[outOff]: x / sqrt(mean(x^2) + eps) * w, the mean
     * of squares in double.
     */
    public static void rmsNorm(float[] in, int inOff, int rows, int h, float[] w, float eps, float[] out, int outOff, boolean c) {
        if (c && NativeKernels.available()) NativeKernels.rmsNorm(in, inOff, rows, h, w, eps, out, outOff);
        else rmsNormJava(in, inOff, rows, h, w, eps, out, outOff);
    }

    static void rmsNormJava(float[] in, int inOff, int rows, int h, float[] w, float eps, float[] out, int outOff) {
        for (int i = 0; i < rows; i++) {
            int o = outOff + i * h, io = inOff + i * h;
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j + S.length() <= h; j += S.length()) {
                FloatVector a = FloatVector.fromArray(S, in, io + j);
                acc = a.fma(a, acc);
            }
            double ss = acc.reduceLanes(VectorOperators.ADD);
            for (; j < h; j++) ss += (double) in[io + j] * in[io + j];
            float inv = (float) (1.0 / Math.sqrt(ss / h + eps));
            j = 0;
            for (; j + S.length() <= h; j += S.length()) {
                FloatVector.fromArray(S, in, io + j).mul(inv).mul(FloatVector.fromArray(S, w, j)).intoArray(out, o + j);
            }
            for (; j < h; j++) out[o + j] = in[io + j] * inv * w[j];
        }
    }

    /** gate[r] = silu(gate[r]) * up[r] = gate / (1 + e^-gate) * up for r in [from, to); exp by {@link VectorExp}. */
    public static void swiglu(float[] gate, float[] up, int from, int to, boolean c) {
        if (c && NativeKernels.available()) NativeKernels.swiglu(gate, up, from, to);
        else swigluJava(gate, up, from, to);
    }

    static void swigluJava(float[] gate, float[] up, int from, int to) {
        int r = from;
        for (int up16 = from + S.loopBound(to - from); r < up16; r += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, r);
            g.div(VectorExp.exp(g.neg()).add(1f)).mul(FloatVector.fromArray(S, up, r)).intoArray(gate, r);
        }
        for (; r < to; r++) {
            float g = gate[r];
            gate[r] = g / (1f + (float) Math.exp(-g)) * up[r];
        }
    }
}
