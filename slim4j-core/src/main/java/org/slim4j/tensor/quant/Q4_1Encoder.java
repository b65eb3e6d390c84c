package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q4_1 (fp16 d, fp16 m, nibbles; quantize_row_q4_1_ref): m = min, d = (max - min) / 15, q = min(15, trunc((x-m)/d + 0.5)). */
final class Q4_1Encoder extends BlockQuantizer {
    Q4_1Encoder() {
        super(DType.Q4_1);
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(b, 0, d);
        putF16(b, 2, min);
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (byte) (int) ((x[o + j] - min) * id + 0.5f));
            int q1 = Math.min(15, (byte) (int) ((x[o + 16 + j] - min) * id + 0.5f));
            b[4 + j] = (byte) (q0 | q1 << 4);
        }
    }

    @Override
    boolean weighted() {
        return true;
    }

    /** quantize_row_q4_1_impl: make_qkx3_quants weighted by qw * sqrt(sigma2 + x^2), sigma2 the row's mean square. */
    @Override
    void encodeWeighted(float[] x, int o, float[] qw, int qo, float rowSigma2, byte[] b) {
        float[] weight = new float[32], min = new float[1];
        byte[] L = new byte[32], laux = new byte[32];
        for (int j = 0; j < 32; j++) weight[j] = KQuantMath.importance(qw[qo + j], rowSigma2, x[o + j]);
        float d = KQuantMath.makeQkx3Quants(32, 15, x, o, weight, 0, L, 0, min, 0, laux, -0.9f, 0.05f, 36, false);
        putF16(b, 0, d);
        putF16(b, 2, -min[0]);
        pack(L, b);
    }

    /** Levels L[0, 32) in [0, 16) into the nibbles at 4. */
    static void pack(byte[] L, byte[] b) {
        for (int j = 0; j < 16; j++) b[4 + j] = (byte) (L[j] | L[j + 16] << 4);
    }
}
