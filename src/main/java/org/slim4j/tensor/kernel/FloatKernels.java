package org.slim4j.tensor.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.slim4j.tensor.Dequant;

/**
 * Dot products of one weight row stored as F32, F16 or BF16 in a MemorySegment with a float32 activation row.
 * These run at the machine's widest float vectors ({@link #W}: 512-bit on AVX-512, 256-bit on AVX2): halves
 * widen to floats by bit moves, and at 512 bits each widening serves 16 elements instead of 8 (F16 matrix-vector
 * on 1536 x 576, L2-resident, one thread: 16 -> 21 GB/s). {@link #F}, the 256-bit species, stays the width of
 * the block kernels, whose 32-element blocks fit it.
 */
final class FloatKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** The float kernels' width: the preferred species, but never narrower than 256 bits (the tails are scalar). */
    static final VectorSpecies<Float> W = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512 ? FloatVector.SPECIES_512 : F;
    private static final VectorSpecies<Integer> WI = VectorSpecies.of(int.class, W.vectorShape());
    private static final VectorSpecies<Short> WS = VectorSpecies.of(short.class, VectorShape.forBitSize(W.vectorBitSize() / 2));
    private static final int N = W.length();
    private static final FloatVector HALF_SCALE = FloatVector.broadcast(W, 0x1p112f);

    private FloatKernels() {}

    static float f32(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(W), a1 = FloatVector.zero(W);
        int i = 0;
        for (; i + 2 * N <= n; i += 2 * N) {
            a0 = FloatVector.fromMemorySegment(W, w, off + 4L * i, LE).fma(FloatVector.fromArray(W, x, xo + i), a0);
            a1 = FloatVector.fromMemorySegment(W, w, off + 4L * (i + N), LE).fma(FloatVector.fromArray(W, x, xo + i + N), a1);
        }
        for (; i + N <= n; i += N) {
            a0 = FloatVector.fromMemorySegment(W, w, off + 4L * i, LE).fma(FloatVector.fromArray(W, x, xo + i), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += w.get(Dequant.F32, off + 4L * i) * x[xo + i];
        return s;
    }

    /** IEEE half to float by bit moves: exponent rebias through a multiply by 2^112 keeps subnormals exact. Inf/NaN are not kept. */
    static FloatVector halfToFloat(ShortVector h) {
        IntVector i = (IntVector) h.convertShape(VectorOperators.S2I, WI, 0);
        IntVector sign = i.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        FloatVector mag = i.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_SCALE);
        return mag.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    static float f16(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(W), a1 = FloatVector.zero(W);
        int i = 0;
        for (; i + 2 * N <= n; i += 2 * N) {
            a0 = halfToFloat(ShortVector.fromMemorySegment(WS, w, off + 2L * i, LE)).fma(FloatVector.fromArray(W, x, xo + i), a0);
            a1 = halfToFloat(ShortVector.fromMemorySegment(WS, w, off + 2L * (i + N), LE)).fma(FloatVector.fromArray(W, x, xo + i + N), a1);
        }
        for (; i + N <= n; i += N) {
            a0 = halfToFloat(ShortVector.fromMemorySegment(WS, w, off + 2L * i, LE)).fma(FloatVector.fromArray(W, x, xo + i), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += Float.float16ToFloat(w.get(Dequant.I16, off + 2L * i)) * x[xo + i];
        return s;
    }

    /** y += a * an F16 row. */
    static void f16Axpy(float a, MemorySegment w, long off, float[] y, int yo, int n) {
        FloatVector va = FloatVector.broadcast(W, a);
        int i = 0;
        for (; i + N <= n; i += N) {
            halfToFloat(ShortVector.fromMemorySegment(WS, w, off + 2L * i, LE)).fma(va, FloatVector.fromArray(W, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += a * Float.float16ToFloat(w.get(Dequant.I16, off + 2L * i));
    }

    static FloatVector bf16ToFloat(ShortVector h) {
        return ((IntVector) h.convertShape(VectorOperators.S2I, WI, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static float bf16(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(W), a1 = FloatVector.zero(W);
        int i = 0;
        for (; i + 2 * N <= n; i += 2 * N) {
            a0 = bf16ToFloat(ShortVector.fromMemorySegment(WS, w, off + 2L * i, LE)).fma(FloatVector.fromArray(W, x, xo + i), a0);
            a1 = bf16ToFloat(ShortVector.fromMemorySegment(WS, w, off + 2L * (i + N), LE)).fma(FloatVector.fromArray(W, x, xo + i + N), a1);
        }
        for (; i + N <= n; i += N) {
            a0 = bf16ToFloat(ShortVector.fromMemorySegment(WS, w, off + 2L * i, LE)).fma(FloatVector.fromArray(W, x, xo + i), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += Dequant.bf16ToFloat(w.get(Dequant.I16, off + 2L * i)) * x[xo + i];
        return s;
    }
}
