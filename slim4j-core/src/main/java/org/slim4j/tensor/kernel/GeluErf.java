package org.slim4j.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * BERT's GELU, x * Phi(x) through erf (Hendrycks & Gimpel 2016), on vector lanes of any species: erfc by the
 * Chebyshev fit of Numerical Recipes' erfcc (relative error below 1.2e-7), so GELU matches the double-precision
 * formula to about 1e-6 relative. Shared by the exact encoder (over arrays) and the GEMM epilogue (in registers).
 */
public final class GeluErf {
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));

    private GeluErf() {}

    public static FloatVector apply(FloatVector x) {
        FloatVector z = x.mul(INV_SQRT2).abs();
        FloatVector t = x.broadcast(1f).div(z.mul(0.5f).add(1f));
        FloatVector p = t.fma(x.broadcast(0.17087277f), x.broadcast(-0.82215223f)); // Horner steps as FMAs
        p = p.fma(t, x.broadcast(1.48851587f));
        p = p.fma(t, x.broadcast(-1.13520398f));
        p = p.fma(t, x.broadcast(0.27886807f));
        p = p.fma(t, x.broadcast(-0.18628806f));
        p = p.fma(t, x.broadcast(0.09678418f));
        p = p.fma(t, x.broadcast(0.37409196f));
        p = p.fma(t, x.broadcast(1.00002368f));
        p = p.fma(t, x.broadcast(-1.26551223f));
        FloatVector half = t.mul(p.sub(z.mul(z)).lanewise(VectorOperators.EXP)).mul(0.5f);
        // Phi(x) = 1 - erfc(|u|) / 2 for x >= 0, erfc(|u|) / 2 otherwise
        FloatVector phi = half.neg().add(1f).blend(half, x.compare(VectorOperators.LT, 0f));
        return x.mul(phi);
    }
}
