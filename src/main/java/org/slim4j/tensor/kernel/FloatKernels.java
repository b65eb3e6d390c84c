package org.slim4j.tensor.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of one weight row stored as F32, F16 or BF16 in a MemorySegment with a float32 activation row.
 * 256-bit species: the widest AVX2 has; on AVX-512 machines they still run (half width).
 */
final class FloatKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final VectorSpecies<Short> S8 = ShortVector.SPECIES_128;
    static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final FloatVector HALF_SCALE = FloatVector.broadcast(F, 0x1p112f);

    private FloatKernels() {}

    static float f32(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 16 <= n; i += 16) {
            a0 = FloatVector.fromMemorySegment(F, w, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = FloatVector.fromMemorySegment(F, w, off + 4L * i + 32, LE).fma(FloatVector.fromArray(F, x, xo + i + 8), a1);
        }
        for (; i + 8 <= n; i += 8) {
            a0 = FloatVector.fromMemorySegment(F, w, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xo + i), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += w.get(org.slim4j.tensor.Dequant.F32, off + 4L * i) * x[xo + i];
        return s;
    }

    /** IEEE half to float by bit moves: exponent rebias through a multiply by 2^112 keeps subnormals exact. Inf/NaN are not kept. */
    static FloatVector halfToFloat(ShortVector h) {
        IntVector i = (IntVector) h.convertShape(VectorOperators.S2I, I8, 0);
        IntVector sign = i.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        FloatVector mag = i.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(HALF_SCALE);
        return mag.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    static float f16(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 16 <= n; i += 16) {
            a0 = halfToFloat(ShortVector.fromMemorySegment(S8, w, off + 2L * i, LE)).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = halfToFloat(ShortVector.fromMemorySegment(S8, w, off + 2L * i + 16, LE)).fma(FloatVector.fromArray(F, x, xo + i + 8), a1);
        }
        for (; i + 8 <= n; i += 8) {
            a0 = halfToFloat(ShortVector.fromMemorySegment(S8, w, off + 2L * i, LE)).fma(FloatVector.fromArray(F, x, xo + i), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += Float.float16ToFloat(w.get(org.slim4j.tensor.Dequant.I16, off + 2L * i)) * x[xo + i];
        return s;
    }

    static FloatVector bf16ToFloat(ShortVector h) {
        return ((IntVector) h.convertShape(VectorOperators.S2I, I8, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static float bf16(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 16 <= n; i += 16) {
            a0 = bf16ToFloat(ShortVector.fromMemorySegment(S8, w, off + 2L * i, LE)).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = bf16ToFloat(ShortVector.fromMemorySegment(S8, w, off + 2L * i + 16, LE)).fma(FloatVector.fromArray(F, x, xo + i + 8), a1);
        }
        for (; i + 8 <= n; i += 8) {
            a0 = bf16ToFloat(ShortVector.fromMemorySegment(S8, w, off + 2L * i, LE)).fma(FloatVector.fromArray(F, x, xo + i), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += org.slim4j.tensor.Dequant.bf16ToFloat(w.get(org.slim4j.tensor.Dequant.I16, off + 2L * i)) * x[xo + i];
        return s;
    }
}
