package org.slim4j.tensor.quant;

import static org.slim4j.tensor.quant.KQuantMath.GROUP_MAX_EPS;
import static org.slim4j.tensor.quant.KQuantMath.nearestInt;

import org.slim4j.tensor.DType;

/**
 * IQ4_NL and IQ4_XS (quantize_row_iq4_nl_impl, the one quantizer of both): per group of 32 the scale with the least
 * weighted squared error over 15 candidates, each value to its nearest of kvalues_iq4nl; IQ4_XS then stores the 8
 * group scales as 6-bit multiples of one fp16 d and re-picks the values for the stored scales. Weights are the
 * importance times sqrt(sigma2 + x^2) (sigma2 twice the block's mean square) or, without importance, x^2; what
 * llama-quantize uses for these types with and without --imatrix.
 */
final class Iq4Quantizer extends BlockQuantizer {
    private static final int NTRY = 7;

    Iq4Quantizer(DType type) {
        super(type);
        if (type != DType.IQ4_NL && type != DType.IQ4_XS) throw new IllegalArgumentException(type.toString());
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        quantize(x, o, null, 0, b);
    }

    @Override
    boolean weighted() {
        return true;
    }

    @Override
    void encodeWeighted(float[] x, int o, float[] qw, int qo, float rowSigma2, byte[] b) {
        quantize(x, o, qw, qo, b);
    }

    private void quantize(float[] x, int o, float[] qw, int qo, byte[] b) {
        int n = type().blockSize, groups = n / 32;
        byte[] values = IqGrids.KVALUES_IQ4NL;
        byte[] L = new byte[n];
        float[] weight = new float[32], scales = new float[groups];
        float sigma2 = KQuantMath.sumSquares(x, o, n) * (2.f / n);
        float maxScale = 0, amaxScale = 0;
        for (int ib = 0; ib < groups; ib++) {
            int xb = o + 32 * ib;
            for (int j = 0; j < 32; j++) {
                weight[j] = qw != null ? KQuantMath.importance(qw[qo + 32 * ib + j], sigma2, x[xb + j]) : x[xb + j] * x[xb + j];
            }
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float ax = Math.abs(x[xb + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[xb + j];
                }
            }
            if (amax < GROUP_MAX_EPS) {
                scales[ib] = 0;
                continue;
            }
            float d = -max / values[0];
            float id = 1 / d;
            float sumqx = 0, sumq2 = 0;
            for (int j = 0; j < 32; j++) {
                int l = bestIndex(values, id * x[xb + j]);
                L[32 * ib + j] = (byte) l;
                float q = values[l], w = weight[j];
                sumqx += w * q * x[xb + j];
                sumq2 += w * q * q;
            }
            d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
            float best = d * sumqx;
            for (int itry = -NTRY; itry <= NTRY; itry++) {
                id = (itry + values[0]) / max;
                sumqx = 0;
                sumq2 = 0;
                for (int j = 0; j < 32; j++) {
                    float q = values[bestIndex(values, id * x[xb + j])], w = weight[j];
                    sumqx += w * q * x[xb + j];
                    sumq2 += w * q * q;
                }
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            scales[ib] = d;
            if (Math.abs(d) > amaxScale) {
                amaxScale = Math.abs(d);
                maxScale = d;
            }
        }
        if (groups > 1) {
            float d = -maxScale / 32;
            putF16(b, 0, d);
            float id = d != 0 ? 1 / d : 0.f;
            int scalesH = 0;
            for (int ib = 0; ib < groups; ib++) {
                int l = Math.max(-32, Math.min(31, nearestInt(id * scales[ib])));
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0.f;
                for (int j = 0; j < 32; j++) L[32 * ib + j] = (byte) bestIndex(values, idl * x[o + 32 * ib + j]);
                l += 32;
                if (ib % 2 == 0) b[4 + ib / 2] = (byte) (l & 0xF);
                else b[4 + ib / 2] |= (byte) ((l & 0xF) << 4);
                scalesH |= (l >> 4) << 2 * ib;
            }
            b[2] = (byte) scalesH;
            b[3] = (byte) (scalesH >> 8);
        } else {
            putF16(b, 0, scales[0]);
            float id = scales[0] != 0 ? 1 / scales[0] : 0;
            for (int j = 0; j < 32; j++) L[j] = (byte) bestIndex(values, id * x[o + j]);
        }
        pack(type(), L, b);
    }

    /** Indices L (one per value) into the nibbles: IQ4_NL's at 2, IQ4_XS's at 8; value j and j + 16 of a group share a byte. */
    static void pack(DType type, byte[] L, byte[] b) {
        int q = type == DType.IQ4_NL ? 2 : 8;
        for (int i = 0; i < L.length / 32; i++) {
            for (int j = 0; j < 16; j++) b[q + 16 * i + j] = (byte) (L[32 * i + j] | L[32 * i + 16 + j] << 4);
        }
    }

    /**
     * best_index_int8: the index of the level nearest x among sorted levels (a power-of-two count), the upper one on a
     * tie: level i is chosen once 2x reaches val[i-1] + val[i].
     */
    static int bestIndex(byte[] val, float x) {
        float x2 = x + x;
        int idx = 0;
        for (int step = val.length >> 1; step > 0; step >>= 1) {
            int j = idx + step;
            if (x2 >= (float) (val[j - 1] + val[j])) idx = j;
        }
        return idx;
    }
}
