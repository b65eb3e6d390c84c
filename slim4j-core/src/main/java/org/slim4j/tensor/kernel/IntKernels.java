package org.slim4j.tensor.kernel;

import static org.slim4j.tensor.kernel.FloatKernels.F;
import static org.slim4j.tensor.kernel.FloatKernels.LE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.slim4j.tensor.Dequant;

/**
 * Weight row (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q6_K) times an int8-quantized activation row ({@link Q8Act}): 16 weight codes
 * widen to shorts in one instruction (vpmovsxbw), multiply the activation shorts (vpmullw), adjacent products are
 * summed into int lanes by two shifts, and only then does a block touch floats: one convert and one FMA per
 * activation block instead of four of each. Every 16-bit intermediate is bounded below 2^15 (stated per kernel).
 * Weight offsets (Q4_0's -8, Q5_0's -16, Q4_1/Q5_1/Q4_K's mins) are folded into a scalar per block through {@code Q8Act.s}.
 */
final class IntKernels {
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;

    private IntKernels() {}

    /** 16 weight bytes, sign-extended to 16 short lanes. */
    private static ShortVector w16(MemorySegment w, long p) {
        return (ShortVector) ByteVector.fromMemorySegment(B16, w, p, LE).convertShape(VectorOperators.B2S, S16, 0);
    }

    private static ShortVector x16(short[] q, int o) {
        return ShortVector.fromArray(S16, q, o);
    }

    /** Adjacent 16-bit lanes summed into 8 int lanes, then to float: pmaddwd's second half, emulated. */
    private static FloatVector pairs(ShortVector v) {
        IntVector i = v.reinterpretAsInts();
        return (FloatVector) i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                .add(i.lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
    }

    private static float half(MemorySegment w, long p) {
        return Float.float16ToFloat(w.get(Dequant.I16, p));
    }

    /** |w * x| <= 128 * 127; two of them summed stay below 2^15. */
    static float q8_0(MemorySegment w, long off, Q8Act a, int n) {
        FloatVector acc = FloatVector.zero(F);
        short[] q = a.q;
        for (int b = 0, blocks = n / 32; b < blocks; b++) {
            long p = off + 34L * b;
            ShortVector prod = w16(w, p + 2).mul(x16(q, 32 * b)).add(w16(w, p + 18).mul(x16(q, 32 * b + 16)));
            acc = pairs(prod).fma(FloatVector.broadcast(F, half(w, p) * a.d[b]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Codes 0..15 (the -8 comes out as -8 * s[b]); |products| <= 15 * 127, two summed. */
    static float q4_0(MemorySegment w, long off, Q8Act a, int n) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        short[] q = a.q;
        for (int b = 0, blocks = n / 32; b < blocks; b++) {
            long p = off + 18L * b;
            float dw = half(w, p);
            acc = q4Block(w, p + 2, x16(q, 32 * b), x16(q, 32 * b + 16), dw * a.d[b], acc);
            corr += dw * a.s[b];
        }
        return acc.reduceLanes(VectorOperators.ADD) - 8 * corr;
    }

    /** Q4_1: codes 0..15 times d, plus the block minimum m, which comes out as m * s[b]. Bounds as {@link #q4_0}. */
    static float q4_1(MemorySegment w, long off, Q8Act a, int n) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        short[] q = a.q;
        for (int b = 0, blocks = n / 32; b < blocks; b++) {
            long p = off + 20L * b;
            acc = q4Block(w, p + 4, x16(q, 32 * b), x16(q, 32 * b + 16), half(w, p) * a.d[b], acc);
            corr += half(w, p + 2) * a.s[b];
        }
        return acc.reduceLanes(VectorOperators.ADD) + corr;
    }

    /** Q5_0: codes 0..31 (nibble | fifth bit << 4), the -16 out through s[b]; |products| <= 31 * 127, two summed. */
    static float q5_0(MemorySegment w, long off, Q8Act a, int n) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        short[] q = a.q;
        for (int b = 0, blocks = n / 32; b < blocks; b++) {
            long p = off + 22L * b;
            float dw = half(w, p);
            acc = q5Block(w, p + 6, w.get(ValueLayout.JAVA_INT_UNALIGNED, p + 2), q, 32 * b, dw * a.d[b], acc);
            corr += dw * a.s[b];
        }
        return acc.reduceLanes(VectorOperators.ADD) - 16 * corr;
    }

    /** Q5_1: Q5_0's codes times d plus the block minimum m (m * s[b]). */
    static float q5_1(MemorySegment w, long off, Q8Act a, int n) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        short[] q = a.q;
        for (int b = 0, blocks = n / 32; b < blocks; b++) {
            long p = off + 24L * b;
            acc = q5Block(w, p + 8, w.get(ValueLayout.JAVA_INT_UNALIGNED, p + 4), q, 32 * b, half(w, p) * a.d[b], acc);
            corr += half(w, p + 2) * a.s[b];
        }
        return acc.reduceLanes(VectorOperators.ADD) + corr;
    }

    /** Lane j's shift for its fifth bit: bit j of qh's low half for values 0..15, of its high half for 16..31. */
    private static final ShortVector LANE = ShortVector.zero(S16).addIndex(1);

    /** The 32 codes of a 5-bit block at qs with fifth bits qh, times the activation codes at q[xo], scaled into acc. */
    private static FloatVector q5Block(MemorySegment w, long qs, int qh, short[] q, int xo, float scale, FloatVector acc) {
        ShortVector v = w16(w, qs);
        ShortVector h0 = ShortVector.broadcast(S16, (short) qh).lanewise(VectorOperators.LSHR, LANE).and((short) 1).lanewise(VectorOperators.LSHL, 4);
        ShortVector h1 = ShortVector.broadcast(S16, (short) (qh >>> 16)).lanewise(VectorOperators.LSHR, LANE).and((short) 1).lanewise(VectorOperators.LSHL, 4);
        ShortVector prod = v.and((short) 0xF).or(h0).mul(x16(q, xo))
                .add(v.lanewise(VectorOperators.ASHR, 4).and((short) 0xF).or(h1).mul(x16(q, xo + 16)));
        return pairs(prod).fma(FloatVector.broadcast(F, scale), acc);
    }

    /**
     * Two consecutive weight rows at once, with {@link #q4_0}'s arithmetic per row: each activation block is loaded
     * and its scalars read once for both rows, and the two accumulators are independent chains (~10% over one row,
     * 1536x576, same run). Not four: a four-row body passed C2's NodeCountInliningCutoff, the fourth block call
     * stayed out of line and boxed its vectors (3x slower than one row). Q8_0 got no faster this way (0.92x).
     */
    static void q4_0x2(MemorySegment w, long off, long rowBytes, Q8Act a, int n, float[] y, int r, boolean accumulate) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0;
        float k0 = 0, k1 = 0;
        short[] q = a.q;
        for (int b = 0, blocks = n / 32; b < blocks; b++) {
            ShortVector lo = x16(q, 32 * b), hi = x16(q, 32 * b + 16);
            float d = a.d[b], s = a.s[b];
            long p = off + 18L * b;
            float d0 = half(w, p), d1 = half(w, p + rowBytes);
            c0 = q4Block(w, p + 2, lo, hi, d0 * d, c0);
            c1 = q4Block(w, p + rowBytes + 2, lo, hi, d1 * d, c1);
            k0 += d0 * s;
            k1 += d1 * s;
        }
        store(y, r, c0.reduceLanes(VectorOperators.ADD) - 8 * k0, accumulate);
        store(y, r + 1, c1.reduceLanes(VectorOperators.ADD) - 8 * k1, accumulate);
    }

    /** 16 nibble bytes at qs (codes 0..15, low nibbles first) times activation codes lo and hi, scaled into acc. */
    private static FloatVector q4Block(MemorySegment w, long qs, ShortVector lo, ShortVector hi, float scale, FloatVector acc) {
        ShortVector v = w16(w, qs);
        ShortVector prod = v.and((short) 0xF).mul(lo).add(v.lanewise(VectorOperators.ASHR, 4).and((short) 0xF).mul(hi));
        return pairs(prod).fma(FloatVector.broadcast(F, scale), acc);
    }

    private static void store(float[] y, int i, float v, boolean accumulate) {
        y[i] = accumulate ? y[i] + v : v;
    }

    /**
     * Sub-blocks of 32 match the activation blocks; mins come out through s[]. |products| <= 15 * 127, two summed.
     * A loop step takes a pair of sub-blocks, which share their 32 code bytes (low nibbles, then high): each byte is
     * loaded once and every shift is a constant. The 12 scale bytes are read as three ints and the pair's 6-bit
     * scales and mins taken out with shifts (ggml's get_scale_min_k4), not eight byte loads per sub-block.
     * Two accumulators, one per sub-block of the pair. 576 x 1536, one thread, L2-resident: 3.3 -> 4.5 GB/s.
     */
    static float q4_k(MemorySegment w, long off, Q8Act a, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        float corr = 0;
        short[] q = a.q;
        for (int b = 0, blocks = n / 256; b < blocks; b++) {
            long p = off + 144L * b;
            float d = half(w, p), dmin = half(w, p + 2);
            int s0 = w.get(ValueLayout.JAVA_INT_UNALIGNED, p + 4), s1 = w.get(ValueLayout.JAVA_INT_UNALIGNED, p + 8);
            int s2 = w.get(ValueLayout.JAVA_INT_UNALIGNED, p + 12);
            for (int j = 0; j < 4; j++) {
                int sc1, m1, sc2, m2;
                if (j < 2) {
                    int sh = 16 * j;
                    sc1 = (s0 >>> sh) & 63;
                    m1 = (s1 >>> sh) & 63;
                    sc2 = (s0 >>> (sh + 8)) & 63;
                    m2 = (s1 >>> (sh + 8)) & 63;
                } else {
                    int sh = 16 * (j - 2);
                    sc1 = ((s2 >>> sh) & 0xF) | (((s0 >>> (sh + 6)) & 3) << 4);
                    m1 = ((s2 >>> (sh + 4)) & 0xF) | (((s1 >>> (sh + 6)) & 3) << 4);
                    sc2 = ((s2 >>> (sh + 8)) & 0xF) | (((s0 >>> (sh + 14)) & 3) << 4);
                    m2 = ((s2 >>> (sh + 12)) & 0xF) | (((s1 >>> (sh + 14)) & 3) << 4);
                }
                long qp = p + 16 + 32L * j;
                int bb = 8 * b + 2 * j, xo = 32 * bb;
                ShortVector v0 = w16(w, qp), v1 = w16(w, qp + 16);
                ShortVector lo = v0.and((short) 0xF).mul(x16(q, xo)).add(v1.and((short) 0xF).mul(x16(q, xo + 16)));
                ShortVector hi = v0.lanewise(VectorOperators.ASHR, 4).and((short) 0xF).mul(x16(q, xo + 32))
                        .add(v1.lanewise(VectorOperators.ASHR, 4).and((short) 0xF).mul(x16(q, xo + 48)));
                acc0 = pairs(lo).fma(FloatVector.broadcast(F, d * sc1 * a.d[bb]), acc0);
                acc1 = pairs(hi).fma(FloatVector.broadcast(F, d * sc2 * a.d[bb + 1]), acc1);
                corr += dmin * (m1 * a.s[bb] + m2 * a.s[bb + 1]);
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD) - corr;
    }

    /**
     * Codes -32..31 from a nibble of ql and two bits of qh; each 16-element group has its own int8 scale, applied
     * to the 8 int lanes (|lane| <= 2 * 32 * 127 * 128) before the pair of groups (one activation block) goes to float.
     */
    static float q6_k(MemorySegment w, long off, Q8Act a, int n) {
        FloatVector acc = FloatVector.zero(F);
        short[] q = a.q;
        for (int b = 0, blocks = n / 256; b < blocks; b++) {
            long p = off + 210L * b;
            float d = half(w, p + 208);
            for (int half = 0; half < 2; half++) {
                long ql = p + 64L * half, qh = p + 128 + 32L * half, sc = p + 192 + 8L * half;
                for (int qq = 0; qq < 4; qq++) { // a quarter: 32 elements, one activation block, two scales
                    long lo = ql + 32 * (qq & 1);
                    int ns = (qq >> 1) * 4, hs = 2 * qq, bb = 8 * b + 4 * half + qq, xo = 32 * bb;
                    ShortVector c0 = w16(w, lo).lanewise(VectorOperators.ASHR, ns).and((short) 0xF)
                            .or(w16(w, qh).lanewise(VectorOperators.ASHR, hs).and((short) 3).lanewise(VectorOperators.LSHL, 4)).sub((short) 32);
                    ShortVector c1 = w16(w, lo + 16).lanewise(VectorOperators.ASHR, ns).and((short) 0xF)
                            .or(w16(w, qh + 16).lanewise(VectorOperators.ASHR, hs).and((short) 3).lanewise(VectorOperators.LSHL, 4)).sub((short) 32);
                    IntVector i0 = ints(c0.mul(x16(q, xo))), i1 = ints(c1.mul(x16(q, xo + 16)));
                    int s0 = w.get(ValueLayout.JAVA_BYTE, sc + 2 * qq), s1 = w.get(ValueLayout.JAVA_BYTE, sc + 2 * qq + 1);
                    IntVector sum = i0.mul(s0).add(i1.mul(s1));
                    acc = ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, d * a.d[bb]), acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static IntVector ints(ShortVector v) {
        IntVector i = v.reinterpretAsInts();
        return i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.ASHR, 16));
    }
}
