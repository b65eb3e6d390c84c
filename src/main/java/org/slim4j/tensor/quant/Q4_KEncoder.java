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
        for (int j = 0, q = 16; j < 256; j += 64, q += 32) {
            for (int l = 0; l < 32; l++) b[q + l] = (byte) (L[j + l] | L[j + l + 32] << 4);
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
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                b[4 + j] = (byte) ls;
                b[4 + j + 4] = (byte) lm;
            } else {
                b[4 + j + 4] = (byte) ((ls & 0xF) | (lm & 0xF) << 4);
                b[4 + j - 4] |= (byte) ((ls >> 4) << 6);
                b[4 + j] |= (byte) ((lm >> 4) << 6);
            }
        }
        float d = putF16(b, 0, maxScale / 63.f);
        float dmin = putF16(b, 2, maxMin / 63.f);
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
}
