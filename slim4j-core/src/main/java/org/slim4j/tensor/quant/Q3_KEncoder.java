package org.slim4j.tensor.quant;

import static org.slim4j.tensor.quant.KQuantMath.nearestInt;

import org.slim4j.tensor.DType;

/** Q3_K (hmask[32], 2-bit qs[64], 12 bytes of 6-bit scales, fp16 d; quantize_row_q3_K_ref): 16 groups of 16, levels -4..3. */
final class Q3_KEncoder extends BlockQuantizer {
    Q3_KEncoder() {
        super(DType.Q3_K);
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        byte[] L = new byte[256];
        float[] scales = new float[16];
        float maxScale = 0, amax = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = KQuantMath.makeQ3Quants(16, 4, x, o + 16 * j, L, 16 * j, true);
            if (Math.abs(scales[j]) > amax) {
                amax = Math.abs(scales[j]);
                maxScale = scales[j];
            }
        }
        final int s = S;
        float d = 0;
        if (maxScale != 0) {
            float iscale = -32.f / maxScale;
            for (int j = 0; j < 16; j++) {
                // C stores nearest_int into an int8_t before clamping
                int l = Math.max(-32, Math.min(31, (byte) nearestInt(iscale * scales[j]))) + 32;
                if (j < 8) b[s + j] = (byte) (l & 0xF);
                else b[s + j - 8] |= (byte) ((l & 0xF) << 4);
                b[s + 8 + j % 4] |= (byte) ((l >> 4) << (2 * (j / 4)));
            }
            d = putF16(b, 108, 1 / iscale);
        }
        levels(x, o, b, L);
        pack(L, b);
    }

    @Override
    boolean weighted() {
        return true;
    }

    /** quantize_row_q3_K_impl: make_qx_quants per group of 16 with the importance, then the 16 scales by make_qx_quants. */
    @Override
    void encodeWeighted(float[] x, int o, float[] qw, int qo, float rowSigma2, byte[] b) {
        byte[] L = new byte[256], ls = new byte[16];
        float[] weight = new float[16], scales = new float[16], sw = new float[16];
        float sigma2 = 2 * KQuantMath.sumSquares(x, o, 256) / 256;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) weight[l] = KQuantMath.importance(qw[qo + 16 * j + l], sigma2, x[o + 16 * j + l]);
            float sumw = 0;
            for (int l = 0; l < 16; l++) sumw += weight[l];
            sw[j] = sumw;
            scales[j] = KQuantMath.makeQxQuants(16, 4, x, o + 16 * j, L, 16 * j, 1, weight, 0);
        }
        float dBlock = KQuantMath.makeQxQuants(16, 32, scales, 0, ls, 0, 1, sw, 0);
        for (int j = 0; j < 16; j++) {
            int l = ls[j];
            if (j < 8) b[S + j] = (byte) (l & 0xF);
            else b[S + j - 8] |= (byte) ((l & 0xF) << 4);
            b[S + 8 + j % 4] |= (byte) ((l >> 4) << (2 * (j / 4)));
        }
        putF16(b, 108, dBlock);
        levels(x, o, b, L);
        pack(L, b);
    }

    private static final int S = 96;

    /** Levels from the stored 6-bit scales (a group whose scale is 0 keeps the fit's levels). */
    private static void levels(float[] x, int o, byte[] b, byte[] L) {
        float d = BlockDecoder.f16(b, 108);
        for (int j = 0; j < 16; j++) {
            int low = j < 8 ? b[S + j] & 0xF : (b[S + j - 8] & 0xFF) >> 4;
            int sc = (low | (((b[S + 8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3) << 4) - 32;
            float dj = d * sc;
            if (dj == 0) continue;
            for (int ii = 0; ii < 16; ii++) {
                int l = Math.max(-4, Math.min(3, nearestInt(x[o + 16 * j + ii] / dj)));
                L[16 * j + ii] = (byte) (l + 4);
            }
        }
    }

    /** Levels L[0, 256) in [0, 8) into the high-bit mask (value j: bit j/32 of hmask[j % 32]) and the 2-bit quarters. */
    static void pack(byte[] L, byte[] b) {
        for (int j = 0; j < 32; j++) b[j] = 0;
        for (int j = 0; j < 256; j++) if (L[j] > 3) b[j % 32] |= (byte) (1 << (j / 32));
        for (int j = 0; j < 256; j += 128) {
            for (int l = 0; l < 32; l++) {
                b[32 + j / 4 + l] = (byte) ((L[j + l] & 3) | (L[j + l + 32] & 3) << 2 | (L[j + l + 64] & 3) << 4 | (L[j + l + 96] & 3) << 6);
            }
        }
    }
}
