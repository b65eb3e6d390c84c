package org.slim4j.tensor.quant;

import static org.slim4j.tensor.quant.KQuantMath.nearestInt;

import org.slim4j.tensor.DType;

/** Q2_K (16 bytes of 4-bit scale|min, 64 bytes of 2-bit q, fp16 d, dmin; quantize_row_q2_K_ref): 16 groups of 16. */
final class Q2_KEncoder extends BlockQuantizer {
    Q2_KEncoder() {
        super(DType.Q2_K);
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        byte[] L = new byte[256], laux = new byte[16];
        float[] weights = new float[16], mins = new float[16], scales = new float[16];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) weights[l] = Math.abs(x[o + 16 * j + l]);
            scales[j] = KQuantMath.makeQkx2Quants(16, 3, x, o + 16 * j, weights, L, 16 * j, mins, j, laux, -0.5f, 0.1f, 15, true);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float q4scale = 15.f;
        float d = 0, dmin = 0;
        if (maxScale > 0) {
            float iscale = q4scale / maxScale;
            for (int j = 0; j < 16; j++) b[j] = (byte) nearestInt(iscale * scales[j]);
            d = putF16(b, 80, maxScale / q4scale);
        }
        if (maxMin > 0) {
            float iscale = q4scale / maxMin;
            for (int j = 0; j < 16; j++) b[j] |= (byte) (nearestInt(iscale * mins[j]) << 4);
            dmin = putF16(b, 82, maxMin / q4scale);
        }
        levels(x, o, b, L, d, dmin);
        pack(L, b);
    }

    @Override
    boolean weighted() {
        return true;
    }

    /** quantize_row_q2_K_impl: make_qkx3_quants per group of 16, then the scales and mins by make_qp_quants. */
    @Override
    void encodeWeighted(float[] x, int o, float[] qw, int qo, float rowSigma2, byte[] b) {
        byte[] L = new byte[256], laux = new byte[16], ls = new byte[16], lm = new byte[16];
        float[] weight = new float[16], mins = new float[16], scales = new float[16], sw = new float[16];
        float sigma2 = KQuantMath.sumSquares(x, o, 256) / 256;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) weight[l] = KQuantMath.importance(qw[qo + 16 * j + l], sigma2, x[o + 16 * j + l]);
            for (int l = 0; l < 16; l++) sw[j] += weight[l];
            scales[j] = KQuantMath.makeQkx3Quants(16, 3, x, o + 16 * j, weight, 0, L, 16 * j, mins, j, laux, -0.9f, 0.05f, 36, false);
        }
        float dm = KQuantMath.makeQpQuants(16, 15, scales, ls, sw);
        float mm = KQuantMath.makeQpQuants(16, 15, mins, lm, sw);
        dm = putF16(b, 80, dm);
        mm = putF16(b, 82, mm);
        for (int j = 0; j < 16; j++) b[j] = (byte) (ls[j] | lm[j] << 4);
        levels(x, o, b, L, dm, mm);
        pack(L, b);
    }

    /** Levels from the stored scales and mins (a group whose scale is 0 keeps the fit's levels). */
    private static void levels(float[] x, int o, byte[] b, byte[] L, float d, float dmin) {
        for (int j = 0; j < 16; j++) {
            float dj = d * (b[j] & 0xF);
            if (dj == 0) continue;
            float dm = dmin * ((b[j] & 0xFF) >> 4);
            for (int ii = 0; ii < 16; ii++) {
                int l = nearestInt((x[o + 16 * j + ii] + dm) / dj);
                L[16 * j + ii] = (byte) Math.max(0, Math.min(3, l));
            }
        }
    }

    /** The 2-bit levels L[0, 256) into their bytes: four per byte, 32 apart. */
    static void pack(byte[] L, byte[] b) {
        for (int j = 0; j < 256; j += 128) {
            for (int l = 0; l < 32; l++) {
                b[16 + j / 4 + l] = (byte) (L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 | L[j + l + 96] << 6);
            }
        }
    }
}
