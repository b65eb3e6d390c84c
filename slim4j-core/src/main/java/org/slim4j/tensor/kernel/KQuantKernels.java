package org.slim4j.tensor.kernel;

import static org.slim4j.tensor.kernel.FloatKernels.F;
import static org.slim4j.tensor.kernel.FloatKernels.LE;
import static org.slim4j.tensor.kernel.QuantKernels.B8;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import org.slim4j.tensor.Dequant;

/**
 * Fused dequantize-and-dot for the 256-element k-quants Q4_K and Q6_K (layouts as ggml's dequantize_row_q4_K /
 * q6_K). Sub-block partial sums stay in vectors and take their scale with one FMA each.
 */
final class KQuantKernels {
    private KQuantKernels() {}

    private static FloatVector f(ByteVector b) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, F, 0);
    }

    private static FloatVector x(float[] x, int o) {
        return FloatVector.fromArray(F, x, o);
    }

    private static int u8(MemorySegment w, long p) {
        return w.get(ValueLayout.JAVA_BYTE, p) & 0xff;
    }

    static float q4_k(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F), accMin = FloatVector.zero(F);
        int blocks = n / 256;
        for (int b = 0; b < blocks; b++) {
            long p = off + 144L * b;
            float d = Float.float16ToFloat(w.get(Dequant.I16, p));
            float dmin = Float.float16ToFloat(w.get(Dequant.I16, p + 2));
            long sc = p + 4, qs = p + 16;
            int xb = xo + 256 * b;
            for (int j = 0; j < 4; j++) {
                int is = 2 * j;
                // get_scale_min_k4 for sub-blocks is and is+1
                int sc1, m1, sc2, m2;
                if (is < 4) {
                    sc1 = u8(w, sc + is) & 63; m1 = u8(w, sc + is + 4) & 63;
                    sc2 = u8(w, sc + is + 1) & 63; m2 = u8(w, sc + is + 5) & 63;
                } else {
                    sc1 = (u8(w, sc + is + 4) & 0xF) | ((u8(w, sc + is - 4) >> 6) << 4);
                    m1 = (u8(w, sc + is + 4) >> 4) | ((u8(w, sc + is) >> 6) << 4);
                    sc2 = (u8(w, sc + is + 5) & 0xF) | ((u8(w, sc + is - 3) >> 6) << 4);
                    m2 = (u8(w, sc + is + 5) >> 4) | ((u8(w, sc + is + 1) >> 6) << 4);
                }
                long q = qs + 32L * j;
                int xl = xb + 64 * j, xh = xl + 32;
                FloatVector lo = FloatVector.zero(F), hi = FloatVector.zero(F), xsl = FloatVector.zero(F), xsh = FloatVector.zero(F);
                for (int k = 0; k < 32; k += 8) {
                    IntVector v = QuantKernels.ints(w, q + k);
                    FloatVector a = x(x, xl + k), c = x(x, xh + k);
                    lo = QuantKernels.fl(v.and(0xF)).fma(a, lo);
                    hi = QuantKernels.fl(v.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(c, hi);
                    xsl = xsl.add(a);
                    xsh = xsh.add(c);
                }
                acc = lo.fma(FloatVector.broadcast(F, d * sc1), acc);
                acc = hi.fma(FloatVector.broadcast(F, d * sc2), acc);
                accMin = xsl.fma(FloatVector.broadcast(F, dmin * m1), accMin);
                accMin = xsh.fma(FloatVector.broadcast(F, dmin * m2), accMin);
            }
        }
        return acc.sub(accMin).reduceLanes(VectorOperators.ADD);
    }

    /**
     * One loop body for all eight 16-element groups of a half block, with the quarter's nibble and high-bit shifts
     * as variables: the fully unrolled form (four inlined helpers) passed C2's NodeCountInliningCutoff, left the last
     * calls out of line and boxed their vectors, which made Q6_K ~30x slower than Q4_K.
     */
    static float q6_k(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int blocks = n / 256;
        for (int b = 0; b < blocks; b++) {
            long p = off + 210L * b;
            float d = Float.float16ToFloat(w.get(Dequant.I16, p + 208));
            for (int half = 0; half < 2; half++) {
                long ql = p + 64L * half, qh = p + 128 + 32L * half, sc = p + 192 + 8L * half;
                int xb = xo + 256 * b + 128 * half;
                for (int j = 0; j < 8; j++) { // quarter qq = j / 2 (32 elements), group g = j % 2 (16 elements, one scale)
                    int qq = j >> 1, l = 16 * (j & 1);
                    long lo = ql + 32 * (qq & 1) + l, hi = qh + l;
                    int ns = (qq >> 1) * 4, hs = 2 * qq, xs = xb + 32 * qq + l;
                    IntVector a0 = QuantKernels.ints(w, lo).lanewise(VectorOperators.ASHR, ns).and(0xF);
                    IntVector h0 = QuantKernels.ints(w, hi).lanewise(VectorOperators.ASHR, hs).and(3).lanewise(VectorOperators.LSHL, 4);
                    IntVector a1 = QuantKernels.ints(w, lo + 8).lanewise(VectorOperators.ASHR, ns).and(0xF);
                    IntVector h1 = QuantKernels.ints(w, hi + 8).lanewise(VectorOperators.ASHR, hs).and(3).lanewise(VectorOperators.LSHL, 4);
                    FloatVector s = QuantKernels.fl(a0.or(h0).sub(32)).mul(x(x, xs));
                    s = QuantKernels.fl(a1.or(h1).sub(32)).fma(x(x, xs + 8), s);
                    acc = s.fma(FloatVector.broadcast(F, d * w.get(ValueLayout.JAVA_BYTE, sc + 2 * qq + (j & 1))), acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
