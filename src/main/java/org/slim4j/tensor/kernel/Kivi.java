package org.slim4j.tensor.kernel;

import static org.slim4j.tensor.kernel.FloatKernels.F;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * KIVI's codes (Liu et al., "KIVI: A Tuning-Free Asymmetric 2bit Quantization for KV Cache", ICML 2024): asymmetric
 * b-bit integers x = code * scale + min, scale and min rounded to fp16 as KIVI stores them, and the kernels that read
 * them in place. A row of n channels (n a multiple of 32) is packed per 32-channel block, like ggml's Q4_0: 4 bits,
 * 16 bytes with channel j in the low nibble of byte j and channel j + 16 in its high nibble; 2 bits, 8 bytes with
 * channels j, j + 8, j + 16, j + 24 in bit pairs 0-1, 2-3, 4-5, 6-7 of byte j. Eight bytes widen to eight int lanes,
 * so every shift runs on dword lanes as the Q4_0 kernels do.
 */
public final class Kivi {
    /** Channels per packed block. */
    public static final int BLOCK = 32;

    private Kivi() {}

    /** Bytes of a packed row of n channels. */
    public static int rowBytes(int n, int bits) {
        return n * bits / 8;
    }

    /**
     * Positions below this one are read quantized by the query at {@code pos}; from it on, in full precision: at least
     * the last {@code window} positions, rounded down to whole groups of {@code group} tokens (a key group is
     * quantized only once all its tokens are in).
     */
    public static int quantizedBelow(int pos, int window, int group) {
        return Math.max(0, pos + 1 - window) / group * group;
    }

    /** The fp16 {scale, min} of values spanning [lo, hi] in 2^bits - 1 steps. */
    public static float[] range(float lo, float hi, int bits) {
        float min = Float.float16ToFloat(Float.floatToFloat16(lo));
        float scale = Float.float16ToFloat(Float.floatToFloat16((hi - min) / ((1 << bits) - 1)));
        return new float[] {scale, min};
    }

    /** The code of x: round((x - min) / scale) within [0, 2^bits - 1]; 0 when the scale is 0. */
    public static int code(float x, float scale, float min, int bits) {
        if (scale == 0) return 0;
        return Math.clamp(Math.round((x - min) / scale), 0, (1 << bits) - 1);
    }

    /** Sets channel c's code in a packed row at {@code off} (whose bytes start zeroed). */
    public static void put(byte[] row, int off, int c, int code, int bits) {
        int block = off + c / BLOCK * rowBytes(BLOCK, bits), j = c % BLOCK;
        int per = BLOCK * bits / 8, at = block + j % per, shift = j / per * bits;
        row[at] = (byte) (row[at] & ~(((1 << bits) - 1) << shift) | code << shift);
    }

    private static IntVector ints(byte[] codes, int off) {
        return (IntVector) ByteVector.fromArray(QuantKernels.B8, codes, off).convertShape(VectorOperators.B2I, IntVector.SPECIES_256, 0);
    }

    private static FloatVector fl(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /** Codes 8 at a time, as floats: sub-vector k (0..32/8) of the block at {@code off}. */
    private static FloatVector part(byte[] codes, int off, int k, int bits) {
        if (bits == 4) {
            IntVector v = ints(codes, off + 8 * (k & 1));
            return fl((k < 2 ? v : v.lanewise(VectorOperators.ASHR, 4)).and(0xF));
        }
        return fl(ints(codes, off).lanewise(VectorOperators.ASHR, 2 * k).and(3));
    }

    /** Sum over c in [0, n) of w[wo + c] * code(c), the packed row at {@code off}. */
    public static float dot(float[] w, int wo, byte[] codes, int off, int n, int bits) {
        FloatVector acc = FloatVector.zero(F);
        int bb = rowBytes(BLOCK, bits);
        for (int b = 0; b < n / BLOCK; b++) {
            for (int k = 0; k < 4; k++) acc = part(codes, off + b * bb, k, bits).fma(FloatVector.fromArray(F, w, wo + BLOCK * b + 8 * k), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** y[yo + c] += a * code(c) + b for c in [0, n), n a multiple of 32, the packed channels from {@code off}. */
    public static void axpy(float a, float b, byte[] codes, int off, int n, int bits, float[] y, int yo) {
        FloatVector va = FloatVector.broadcast(F, a), vb = FloatVector.broadcast(F, b);
        int bb = rowBytes(BLOCK, bits);
        for (int blk = 0; blk < n / BLOCK; blk++) {
            for (int k = 0; k < 4; k++) {
                int o = yo + BLOCK * blk + 8 * k;
                part(codes, off + blk * bb, k, bits).fma(va, vb).add(FloatVector.fromArray(F, y, o)).intoArray(y, o);
            }
        }
    }
}
