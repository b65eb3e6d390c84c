package org.slim4j.tensor.quant;

import static org.slim4j.tensor.quant.KQuantMath.nearestInt;

import org.slim4j.tensor.DType;

/** Q4_K (fp16 d, dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles; quantize_row_q4_K_ref): 8 groups of 32. */
final class Q4_KEncoder extends BlockQuantizer {
    Q4_KEncoder() {
        super(DType.Q4_K);
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        byte[] L = new byte[256];
        scalesAndLevels(x, o, b, L, 15, -1.f, 0.1f, 20);
        pack(L, b);
    }

    @Override
    boolean weighted() {
        return true;
    }

    @Override
    void encodeWeighted(float[] x, int o, float[] qw, int qo, float rowSigma2, byte[] b) {
        byte[] L = new byte[256];
        weightedScalesAndLevels(x, o, qw, qo, b, L, 15);
        pack(L, b);
    }

    /** The 4-bit levels L[0, 256) into their nibbles: 64 values per 32 bytes, the second 32 in the high nibbles. */
    static void pack(byte[] L, byte[] b) {
        for (int j = 0, q = 16; j < 256; j += 64, q += 32) {
            for (int l = 0; l < 32; l++) b[q + l] = (byte) (L[j + l] | L[j + l + 32] << 4);
        }
    }

    /**
     * quantize_row_q4_K_impl / q5_K_impl (nmax 15 or 31): per group of 32 a make_qkx3_quants fit weighted by
     * qw * sqrt(sigma2 + x^2) (sigma2 = twice the block's mean square), the 8 scales and 8 mins each onto 6 bits by
     * make_qp_quants weighted by the groups' total weight, then levels from the stored values.
     */
    static void weightedScalesAndLevels(float[] x, int o, float[] qw, int qo, byte[] b, byte[] L, int nmax) {
        float[] weights = new float[32], mins = new float[8], scales = new float[8], sw = new float[8];
        byte[] laux = new byte[32], ls = new byte[8], lm = new byte[8];
        float sigma2 = 2 * KQuantMath.sumSquares(x, o, 256) / 256;
        for (int j = 0; j < 8; j++) {
            for (int l = 0; l < 32; l++) weights[l] = KQuantMath.importance(qw[qo + 32 * j + l], sigma2, x[o + 32 * j + l]);
            float sumw = 0;
            for (int l = 0; l < 32; l++) sumw += weights[l];
            sw[j] = sumw;
            scales[j] = KQuantMath.makeQkx3Quants(32, nmax, x, o + 32 * j, weights, 0, L, 32 * j, mins, j, laux, -0.9f, 0.05f, 36, false);
        }
        float dBlock = KQuantMath.makeQpQuants(8, 63, scales, ls, sw);
        float mBlock = KQuantMath.makeQpQuants(8, 63, mins, lm, sw);
        for (int j = 0; j < 8; j++) putScaleMin(b, j, Math.min(63, ls[j]), Math.min(63, lm[j]));
        putF16(b, 0, dBlock);
        putF16(b, 2, mBlock);
        levels(x, o, b, L, nmax);
    }

    /** Scale and min j (6 bits each) into the 12 packed bytes at 4 (the layout get_scale_min_k4 reads). */
    private static void putScaleMin(byte[] b, int j, int ls, int lm) {
        if (j < 4) {
            b[4 + j] = (byte) ls;
            b[4 + j + 4] = (byte) lm;
        } else {
            b[4 + j + 4] = (byte) ((ls & 0xF) | (lm & 0xF) << 4);
            b[4 + j - 4] |= (byte) ((ls >> 4) << 6);
            b[4 + j] |= (byte) ((lm >> 4) << 6);
        }
    }

    /** Levels from the stored d, dmin and 6-bit scales and mins (a group whose scale is 0 keeps the fit's levels). */
    private static void levels(float[] x, int o, byte[] b, byte[] L, int nmax) {
        float d = BlockDecoder.f16(b, 0), dmin = BlockDecoder.f16(b, 2);
        for (int j = 0; j < 8; j++) {
            float dj = d * BlockDecoder.scaleMinK4(b, 4, j, false);
            if (dj == 0) continue;
            float dm = dmin * BlockDecoder.scaleMinK4(b, 4, j, true);
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[o + 32 * j + ii] + dm) / dj);
                L[32 * j + ii] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
    }

    /**
     * Shared by Q4_K and Q5_K (nmax 15 or 31): per group of 32 a make_qkx2_quants fit weighted by rms + |x|,
     * scales and mins to 6 bits against the block's largest, then levels recomputed from the stored values.
     */
    static void scalesAndLevels(float[] x, int o, byte[] b, byte[] L, int nmax, float rmin, float rdelta, int nstep) {
        float[] weights = new float[32], mins = new float[8], scales = new float[8];
        byte[] laux = new byte[32];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[o + 32 * j + l] * x[o + 32 * j + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[o + 32 * j + l]);
            scales[j] = KQuantMath.makeQkx2Quants(32, nmax, x, o + 32 * j, weights, L, 32 * j, mins, j, laux, rmin, rdelta, nstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
        float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
        for (int j = 0; j < 8; j++) {
            // C stores nearest_int into a uint8_t before clamping
            putScaleMin(b, j, Math.min(63, nearestInt(invScale * scales[j]) & 0xFF), Math.min(63, nearestInt(invMin * mins[j]) & 0xFF));
        }
        putF16(b, 0, maxScale / 63.f);
        putF16(b, 2, maxMin / 63.f);
        levels(x, o, b, L, nmax);
    }
}
