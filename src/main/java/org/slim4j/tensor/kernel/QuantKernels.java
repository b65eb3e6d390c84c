package org.slim4j.tensor.kernel;

import static org.slim4j.tensor.kernel.FloatKernels.F;
import static org.slim4j.tensor.kernel.FloatKernels.LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.slim4j.tensor.Dequant;

/**
 * Fused dequantize-and-dot for ggml's 32-element block types, weights read from the MemorySegment.
 * Each block's integer codes become floats 8 at a time and meet the activations in FMAs; the block scale is
 * applied once per block to a vector partial sum, so the horizontal reduction happens once per row.
 * The result differs from Dequant + dot only by float summation order.
 */
final class QuantKernels {
    static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;

    private QuantKernels() {}

    private static FloatVector f(ByteVector b) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, F, 0);
    }

    /** 8 bytes widened to 8 int lanes (sign-extended): nibble work then runs on dword lanes, which AVX2 shifts natively. */
    static IntVector ints(MemorySegment w, long p) {
        return (IntVector) ByteVector.fromMemorySegment(B8, w, p, LE).convertShape(VectorOperators.B2I, IntVector.SPECIES_256, 0);
    }

    static FloatVector fl(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    private static FloatVector x(float[] x, int o) {
        return FloatVector.fromArray(F, x, o);
    }

    static float q8_0(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / 32;
        for (int b = 0; b < blocks; b++) {
            long p = off + 34L * b;
            int xb = xo + 32 * b;
            FloatVector s = f(ByteVector.fromMemorySegment(B8, w, p + 2, LE)).mul(x(x, xb));
            s = f(ByteVector.fromMemorySegment(B8, w, p + 10, LE)).fma(x(x, xb + 8), s);
            s = f(ByteVector.fromMemorySegment(B8, w, p + 18, LE)).fma(x(x, xb + 16), s);
            s = f(ByteVector.fromMemorySegment(B8, w, p + 26, LE)).fma(x(x, xb + 24), s);
            acc = s.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(Dequant.I16, p))), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float q4_0(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / 32;
        for (int b = 0; b < blocks; b++) {
            long p = off + 18L * b;
            int xb = xo + 32 * b;
            IntVector v0 = ints(w, p + 2), v1 = ints(w, p + 10);
            // low nibbles are elements 0..15, high nibbles 16..31; codes are q - 8
            FloatVector s = fl(v0.and(0xF).sub(8)).mul(x(x, xb));
            s = fl(v1.and(0xF).sub(8)).fma(x(x, xb + 8), s);
            s = fl(v0.lanewise(VectorOperators.ASHR, 4).and(0xF).sub(8)).fma(x(x, xb + 16), s);
            s = fl(v1.lanewise(VectorOperators.ASHR, 4).and(0xF).sub(8)).fma(x(x, xb + 24), s);
            acc = s.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(Dequant.I16, p))), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** y += a * a Q8_0 row: each block's codes widened 8 at a time and scaled by a * d. */
    static void q8_0Axpy(float a, MemorySegment w, long off, float[] y, int yo, int n) {
        for (int b = 0; b < n / 32; b++) {
            long p = off + 34L * b;
            FloatVector s = FloatVector.broadcast(F, a * Float.float16ToFloat(w.get(Dequant.I16, p)));
            for (int j = 0, yb = yo + 32 * b; j < 32; j += 8) {
                f(ByteVector.fromMemorySegment(B8, w, p + 2 + j, LE)).fma(s, x(y, yb + j)).intoArray(y, yb + j);
            }
        }
    }

    /** y += a * a Q4_0 row. */
    static void q4_0Axpy(float a, MemorySegment w, long off, float[] y, int yo, int n) {
        for (int b = 0; b < n / 32; b++) {
            long p = off + 18L * b;
            FloatVector s = FloatVector.broadcast(F, a * Float.float16ToFloat(w.get(Dequant.I16, p)));
            int yb = yo + 32 * b;
            IntVector v0 = ints(w, p + 2), v1 = ints(w, p + 10);
            fl(v0.and(0xF).sub(8)).fma(s, x(y, yb)).intoArray(y, yb);
            fl(v1.and(0xF).sub(8)).fma(s, x(y, yb + 8)).intoArray(y, yb + 8);
            fl(v0.lanewise(VectorOperators.ASHR, 4).and(0xF).sub(8)).fma(s, x(y, yb + 16)).intoArray(y, yb + 16);
            fl(v1.lanewise(VectorOperators.ASHR, 4).and(0xF).sub(8)).fma(s, x(y, yb + 24)).intoArray(y, yb + 24);
        }
    }
}
