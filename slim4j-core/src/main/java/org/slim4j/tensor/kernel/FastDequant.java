package org.slim4j.tensor.kernel;

import static org.slim4j.tensor.kernel.FloatKernels.LE;
import static org.slim4j.tensor.kernel.FloatKernels.W;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;

/**
 * {@link Dequant#decode} with vectors for the types a prefill meets most (F16, BF16, Q8_0, Q4_0): the multi-row
 * matrix path decodes every weight tile once before its GEMM, and ggml's scalar block formulas cost about a third
 * of a 128-token Q4_0 prefill. Same formulas, one float multiply per value, so the values are bit-identical to
 * {@link Dequant}'s (F16 infinities and NaNs excepted, as in the dot kernels). {@link TypeKernels} says which type
 * decodes how; a type without a vector decoder there uses {@link Dequant}'s.
 */
public final class FastDequant {
    private static final int L = W.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, W.vectorShape());
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(W.vectorBitSize() / 4));
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(W.vectorBitSize() / 2));

    private FastDequant() {}

    /**
     * Decodes {@code n} values of {@code type} from byte {@code offset} of {@code src} into dst[o, o + n), through the
     * type's decoder in {@link TypeKernels}.
     */
    public static void decode(DType type, MemorySegment src, long offset, float[] dst, int o, int n) {
        TypeKernels.of(type).decode(src, offset, dst, o, n);
    }

    /** F16 and BF16: 8 or 16 halves widened per step; the tail through {@link Dequant}. */
    static void halves(DType type, MemorySegment src, long offset, float[] dst, int o, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, src, offset + 2L * i, LE);
            (type == DType.F16 ? FloatKernels.halfToFloat(h) : FloatKernels.bf16ToFloat(h)).intoArray(dst, o + i);
        }
        if (i < n) Dequant.decode(type, src, offset + 2L * i, dst, o + i, n - i);
    }

    static void q8_0(MemorySegment src, long offset, float[] dst, int o, int n) {
        for (int b = 0; b < n / 32; b++) {
            long p = offset + 34L * b;
            float d = Float.float16ToFloat(src.get(Dequant.I16, p));
            for (int j = 0; j < 32; j += L) {
                ((FloatVector) ByteVector.fromMemorySegment(B, src, p + 2 + j, LE).convertShape(VectorOperators.B2F, W, 0))
                        .mul(d).intoArray(dst, o + 32 * b + j);
            }
        }
    }

    static void q4_0(MemorySegment src, long offset, float[] dst, int o, int n) {
        for (int b = 0; b < n / 32; b++) {
            long p = offset + 18L * b;
            float d = Float.float16ToFloat(src.get(Dequant.I16, p));
            int y = o + 32 * b;
            for (int j = 0; j < 16; j += L) { // low nibbles are values 0..15, high nibbles 16..31
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, src, p + 2 + j, LE).convertShape(VectorOperators.B2I, I, 0);
                ((FloatVector) v.and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, y + j);
                ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, y + 16 + j);
            }
        }
    }
}
