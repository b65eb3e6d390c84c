package org.slim4j.tensor.kernel;

import static org.slim4j.tensor.kernel.FloatKernels.F;
import static org.slim4j.tensor.kernel.FloatKernels.W;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * KIVI's codes (Liu et al., "KIVI: A Tuning-Free Asymmetric 2bit Quantization for KV Cache", ICML 2024): asymmetric
 * b-bit integers x = code * scale + min, scale and min rounded to fp16 as KIVI stores them, and the kernels that read
 * them in place. A row of n channels (n a multiple of 32) is packed per 32-channel block, like ggml's Q4_0: 4 bits,
 * 16 bytes with channel j in the low nibble of byte j and channel j + 16 in its high nibble; 2 bits, 8 bytes with
 * channels j, j + 8, j + 16, j + 24 in bit pairs 0-1, 2-3, 4-5, 6-7 of byte j. Bytes widen to int lanes, so every
 * shift runs on dword lanes as the Q4_0 kernels do.
 */
public final class Kivi {
    /** Channels per packed block. */
    public static final int BLOCK = 32;
    private static final int WL = W.length(); // 16 or 8 channels per 4-bit step
    private static final VectorSpecies<Integer> WI = VectorSpecies.of(int.class, W.vectorShape());
    private static final VectorSpecies<Byte> WB = VectorSpecies.of(byte.class, VectorShape.forBitSize(W.vectorBitSize() / 4));

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

    /** The fp16 minimum of values from {@code lo}: stored as KIVI stores it. */
    public static short min(float lo) {
        return Float.floatToFloat16(lo);
    }

    /** The fp16 scale of values from the stored minimum {@code min} to {@code hi} in 2^bits - 1 steps. */
    public static short scale(short min, float hi, int bits) {
        return Float.floatToFloat16((hi - Float.float16ToFloat(min)) / ((1 << bits) - 1));
    }

    /** The code of x: round((x - min) / scale) within [0, 2^bits - 1], the stored fp16 scale and min; 0 when the scale is 0. */
    public static int code(float x, short scale, short min, int bits) {
        float s = Float.float16ToFloat(scale);
        if (s == 0) return 0;
        return Math.clamp(Math.round((x - Float.float16ToFloat(min)) / s), 0, (1 << bits) - 1);
    }

    /** Sets channel c's code in a packed row at {@code off} (whose bytes start zeroed). */
    public static void put(byte[] row, int off, int c, int code, int bits) {
        int block = off + c / BLOCK * rowBytes(BLOCK, bits), j = c % BLOCK;
        int per = BLOCK * bits / 8, at = block + j % per, shift = j / per * bits;
        row[at] = (byte) (row[at] & ~(((1 << bits) - 1) << shift) | code << shift);
    }

    private static IntVector ints(VectorSpecies<Byte> b, VectorSpecies<Integer> i, byte[] codes, int off) {
        return (IntVector) ByteVector.fromArray(b, codes, off).convertShape(VectorOperators.B2I, i, 0);
    }

    private static FloatVector fl(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /**
     * Sum over c in [0, n) of w[wo + c] * code(c), the packed row at {@code off}. 4 bits run at the float kernels'
     * width (a 512-bit vector takes 16 bytes: 16 channels in the low nibbles, the next 16 in the high ones); 2 bits
     * take 8 lanes, a block's 8 bytes holding four runs of 8 channels.
     */
    public static float dot(float[] w, int wo, byte[] codes, int off, int n, int bits) {
        if (bits == 4) {
            FloatVector acc = FloatVector.zero(W);
            for (int b = 0; b < n / BLOCK; b++) {
                for (int j = 0; j < 16; j += WL) {
                    IntVector v = ints(WB, WI, codes, off + 16 * b + j);
                    int x = wo + BLOCK * b + j;
                    acc = fl(v.and(0xF)).fma(FloatVector.fromArray(W, w, x), acc);
                    acc = fl(v.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(FloatVector.fromArray(W, w, x + 16), acc);
                }
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / BLOCK; b++) {
            IntVector v = ints(QuantKernels.B8, IntVector.SPECIES_256, codes, off + 8 * b);
            for (int k = 0; k < 4; k++) acc = fl(v.lanewise(VectorOperators.ASHR, 2 * k).and(3)).fma(FloatVector.fromArray(F, w, wo + BLOCK * b + 8 * k), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** y[yo + c] += a * code(c) + b for c in [0, n), n a multiple of 32, the packed channels from {@code off}. */
    public static void axpy(float a, float b, byte[] codes, int off, int n, int bits, float[] y, int yo) {
        if (bits == 4) {
            FloatVector va = FloatVector.broadcast(W, a), vb = FloatVector.broadcast(W, b);
            for (int blk = 0; blk < n / BLOCK; blk++) {
                for (int j = 0; j < 16; j += WL) {
                    IntVector v = ints(WB, WI, codes, off + 16 * blk + j);
                    int o = yo + BLOCK * blk + j;
                    fl(v.and(0xF)).fma(va, vb).add(FloatVector.fromArray(W, y, o)).intoArray(y, o);
                    fl(v.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(va, vb).add(FloatVector.fromArray(W, y, o + 16)).intoArray(y, o + 16);
                }
            }
            return;
        }
        FloatVector va = FloatVector.broadcast(F, a), vb = FloatVector.broadcast(F, b);
        for (int blk = 0; blk < n / BLOCK; blk++) {
            IntVector v = ints(QuantKernels.B8, IntVector.SPECIES_256, codes, off + 8 * blk);
            for (int k = 0; k < 4; k++) {
                int o = yo + BLOCK * blk + 8 * k;
                fl(v.lanewise(VectorOperators.ASHR, 2 * k).and(3)).fma(va, vb).add(FloatVector.fromArray(F, y, o)).intoArray(y, o);
            }
        }
    }
}
