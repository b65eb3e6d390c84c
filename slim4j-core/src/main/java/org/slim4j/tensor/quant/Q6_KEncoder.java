package org.slim4j.tensor.quant;

import static org.slim4j.tensor.quant.KQuantMath.GROUP_MAX_EPS;
import static org.slim4j.tensor.quant.KQuantMath.nearestInt;

import org.slim4j.tensor.DType;

/** Q6_K (ql[128], qh[64], int8 scales[16], fp16 d; quantize_row_q6_K_ref): 16 groups of 16, 6-bit levels, 8-bit scales. */
final class Q6_KEncoder extends BlockQuantizer {
    Q6_KEncoder() {
        super(DType.Q6_K);
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        encodeBlock(x, o, b, null, 0);
    }

    @Override
    boolean weighted() {
        return true;
    }

    @Override
    void encodeWeighted(float[] x, int o, float[] qw, int qo, float rowSigma2, byte[] b) {
        encodeBlock(x, o, b, qw, qo);
    }

    /** With importance qw (quantize_row_q6_K_impl): the group fits weigh each value by qw directly. */
    void encodeBlock(float[] x, int o, byte[] b, float[] qw, int qo) {
        byte[] L = new byte[256];
        float[] scales = new float[16];
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = KQuantMath.makeQxQuants(16, 32, x, o + 16 * ib, L, 16 * ib, 1, qw, qo + 16 * ib);
            scales[ib] = scale;
            if (Math.abs(scale) > maxAbsScale) {
                maxAbsScale = Math.abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < GROUP_MAX_EPS) return; // all-zero block, d = +0
        float iscale = -128.f / maxScale;
        float d = putF16(b, 208, 1 / iscale);
        for (int ib = 0; ib < 16; ib++) b[192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        for (int j = 0; j < 16; j++) {
            float dj = d * b[192 + j];
            if (dj == 0) continue;
            for (int ii = 0; ii < 16; ii++) {
                int l = Math.max(-32, Math.min(31, nearestInt(x[o + 16 * j + ii] / dj)));
                L[16 * j + ii] = (byte) (l + 32);
            }
        }
        pack(L, b);
    }

    /** Levels L[0, 256) in [0, 64) into low nibbles (ql) and high 2-bit pairs (qh). */
    static void pack(byte[] L, byte[] b) {
        for (int j = 0, ql = 0, qh = 128; j < 256; j += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; l++) {
                int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
                b[ql + l] = (byte) ((q1 & 0xF) | (q3 & 0xF) << 4);
                b[ql + l + 32] = (byte) ((q2 & 0xF) | (q4 & 0xF) << 4);
                b[qh + l] = (byte) ((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
            }
        }
    }
}
