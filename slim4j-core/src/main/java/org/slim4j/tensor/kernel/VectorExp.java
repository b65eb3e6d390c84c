package org.slim4j.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * exp(x) on float vectors from additions, multiplications, fused multiply-adds and bit operations only: Cody-Waite
 * reduction x = n ln 2 + r with |r| <= ln 2 / 2 (ln 2 split in two so n ln 2 is exact), e^r by its Taylor polynomial of
 * degree 6 (error below 2e-7 relative: 1-2 ulp), times 2^n built in the exponent bits. Results below e^-86 are 0,
 * so a score masked with -infinity weighs nothing.
 *
 * <p>Why not {@code lanewise(EXP)}: until C2 compiles a method the Vector API runs its Java fallback, whose EXP is
 * {@code Math.exp} per lane while the compiled code calls a SIMD library, and the two differ in the last bits, so the
 * same input gave different logits on a method's first calls than on later ones. Each operation used here is
 * correctly rounded in both forms, so every call gives the same bits.
 */
public final class VectorExp {
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding it rounds to an integer in the low mantissa bits
    private static final float MIN = -86f, MAX = 88f; // 2^n stays a normal number

    private VectorExp() {}

    public static FloatVector exp(FloatVector x) {
        var tiny = x.compare(VectorOperators.LT, MIN);
        FloatVector c = x.max(MIN).min(MAX);
        FloatVector t = c.fma(LOG2E, ROUND); // n + 1.5 * 2^23, n = round(x / ln 2)
        FloatVector n = t.sub(ROUND);
        var sp = x.species();
        FloatVector r = n.fma(FloatVector.broadcast(sp, -LN2_HI), c);
        r = n.fma(FloatVector.broadcast(sp, -LN2_LO), r);
        FloatVector p = r.fma(1f / 720, 1f / 120);
        p = p.fma(r, FloatVector.broadcast(sp, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(sp, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(sp, 0.5f));
        p = p.fma(r, FloatVector.broadcast(sp, 1f));
        p = p.fma(r, FloatVector.broadcast(sp, 1f));
        // 2^n: n's bits sit in t's low mantissa; shifted into the exponent field and added to p's bits
        IntVector bits = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND)).lanewise(VectorOperators.LSHL, 23);
        FloatVector e = p.reinterpretAsInts().add(bits).reinterpretAsFloats();
        return e.blend(0f, tiny);
    }
}
