package org.slim4j.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** Float32 vector primitives on heap arrays (Vector API, the machine's widest species). */
public final class VectorOps {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Per species of 2, 4, 8, 16 lanes: the rotations by half, a quarter, ... one lane that {@link #sum} adds in turn. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[][] ROTATIONS = new VectorShuffle[][] {rotations(FloatVector.SPECIES_64),
            rotations(FloatVector.SPECIES_128), rotations(FloatVector.SPECIES_256), rotations(FloatVector.SPECIES_512)};

    private VectorOps() {}

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] rotations(VectorSpecies<Float> s) {
        int steps = Integer.numberOfTrailingZeros(s.length());
        VectorShuffle<Float>[] r = new VectorShuffle[steps];
        for (int i = 0; i < steps; i++) r[i] = VectorShuffle.iota(s, s.length() >> (i + 1), 1, true);
        return r;
    }

    /**
     * The sum of v's lanes in one fixed order (a tree: lane i plus lane i + half, then i + quarter, ...), the same
     * bits however the code runs. {@code v.reduceLanes(ADD)} may not be used where results must be reproducible: its
     * order is the implementation's choice "which may even vary over time" (FloatVector javadoc), and on HotSpot it
     * does: the interpreter and C1 add lane after lane, C2's intrinsic in another order, so one model's embeddings
     * changed in their last bits once the loop got compiled (two loads of the same weights disagreed).
     */
    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> r : ROTATIONS[Integer.numberOfTrailingZeros(v.length()) - 1]) v = v.add(v.rearrange(r));
        return v.lane(0);
    }

    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            acc0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc0);
            acc1 = FloatVector.fromArray(S, a, ao + i + L).fma(FloatVector.fromArray(S, b, bo + i + L), acc1);
        }
        for (int bound = n - L; i <= bound; i += L) {
            acc0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc0);
        }
        float s = sum(acc0.add(acc1));
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** y[yo..yo+n) += alpha * x[xo..xo+n) */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (int bound = n - L; i <= bound; i += L) {
            FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }
}
