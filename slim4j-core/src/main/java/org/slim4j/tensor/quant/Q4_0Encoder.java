package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q4_0 (fp16 d, 16 bytes of nibbles; quantize_row_q4_0_ref): d = signed max / -8, q = min(15, trunc(x/d + 8.5)). */
final class Q4_0Encoder extends BlockQuantizer {
    Q4_0Encoder() {
        super(DType.Q4_0);
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float d = signedMax(x, o, 32) / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(b, 0, d);
        for (int j = 0; j < 16; j++) {
            // (int8_t) in C truncates toward zero, like Java's (int) for these in-range values
            int q0 = Math.min(15, (byte) (int) (x[o + j] * id + 8.5f));
            int q1 = Math.min(15, (byte) (int) (x[o + 16 + j] * id + 8.5f));
            b[2 + j] = (byte) (q0 | q1 << 4);
        }
    }

    @Override
    boolean weighted() {
        return true;
    }

    /** quantize_row_q4_0_impl: make_qx_quants weighted by qw * sqrt(sigma2 + x^2), sigma2 the row's mean square. */
    @Override
    void encodeWeighted(float[] x, int o, float[] qw, int qo, float rowSigma2, byte[] b) {
        float[] weight = new float[32];
        byte[] L = new byte[32];
        for (int j = 0; j < 32; j++) weight[j] = KQuantMath.importance(qw[qo + j], rowSigma2, x[o + j]);
        putF16(b, 0, KQuantMath.makeQxQuants(32, 8, x, o, L, 0, 1, weight, 0));
        pack(L, b);
    }

    /** Levels L[0, 32) in [0, 16) into 16 bytes: value j in the low nibble of byte j, value j + 16 in its high one. */
    static void pack(byte[] L, byte[] b) {
        for (int j = 0; j < 16; j++) b[2 + j] = (byte) (L[j] | L[j + 16] << 4);
    }
}
