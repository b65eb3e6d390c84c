package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q5_1 (fp16 d, fp16 m, fifth bits, nibbles; quantize_row_q5_1_ref): m = min, d = (max - min) / 31, q = trunc((x-m)/d + 0.5). */
final class Q5_1Encoder extends BlockQuantizer {
    Q5_1Encoder() {
        super(DType.Q5_1);
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 31;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(b, 0, d);
        putF16(b, 2, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            // ggml clamps nothing here ((uint8_t) only): (max-min)*id rounds to at most 31.000002
            int q0 = (int) ((x[o + j] - min) * id + 0.5f) & 0xFF;
            int q1 = (int) ((x[o + 16 + j] - min) * id + 0.5f) & 0xFF;
            b[8 + j] = (byte) ((q0 & 0xF) | (q1 & 0xF) << 4);
            qh |= ((q0 & 0x10) >> 4) << j;
            qh |= ((q1 & 0x10) >> 4) << (j + 16);
        }
        putLe32(b, 4, qh);
    }

    @Override
    boolean weighted() {
        return true;
    }

    /** quantize_row_q5_1_impl: make_qkx3_quants (nmax 31) weighted by qw * sqrt(sigma2 + x^2), sigma2 the row's mean square. */
    @Override
    void encodeWeighted(float[] x, int o, float[] qw, int qo, float rowSigma2, byte[] b) {
        float[] weight = new float[32], min = new float[1];
        byte[] L = new byte[32], laux = new byte[32];
        for (int j = 0; j < 32; j++) weight[j] = KQuantMath.importance(qw[qo + j], rowSigma2, x[o + j]);
        float d = KQuantMath.makeQkx3Quants(32, 31, x, o, weight, 0, L, 0, min, 0, laux, -0.9f, 0.05f, 36, false);
        putF16(b, 0, d);
        putF16(b, 2, -min[0]);
        Q5_0Encoder.pack(L, b, 4);
    }
}
