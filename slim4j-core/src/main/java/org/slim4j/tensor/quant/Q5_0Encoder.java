package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q5_0 (fp16 d, 32 fifth bits, nibbles; quantize_row_q5_0_ref): d = signed max / -16, q = min(31, trunc(x/d + 16.5)). */
final class Q5_0Encoder extends BlockQuantizer {
    Q5_0Encoder() {
        super(DType.Q5_0);
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float d = signedMax(x, o, 32) / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(b, 0, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(31, (byte) (int) (x[o + j] * id + 16.5f));
            int q1 = Math.min(31, (byte) (int) (x[o + 16 + j] * id + 16.5f));
            b[6 + j] = (byte) ((q0 & 0xF) | (q1 & 0xF) << 4);
            qh |= ((q0 & 0x10) >> 4) << j;
            qh |= ((q1 & 0x10) >> 4) << (j + 16);
        }
        putLe32(b, 2, qh);
    }

    @Override
    boolean weighted() {
        return true;
    }

    /** quantize_row_q5_0_impl: make_qx_quants (nmax 16) weighted by qw * sqrt(sigma2 + x^2), sigma2 the row's mean square. */
    @Override
    void encodeWeighted(float[] x, int o, float[] qw, int qo, float rowSigma2, byte[] b) {
        float[] weight = new float[32];
        byte[] L = new byte[32];
        for (int j = 0; j < 32; j++) weight[j] = KQuantMath.importance(qw[qo + j], rowSigma2, x[o + j]);
        putF16(b, 0, KQuantMath.makeQxQuants(32, 16, x, o, L, 0, 1, weight, 0));
        pack(L, b, 2);
    }

    /** Levels L[0, 32) in [0, 32): fifth bits as a 32-bit word at {@code qh}, nibbles after it. */
    static void pack(byte[] L, byte[] b, int qh) {
        int h = 0;
        for (int j = 0; j < 16; j++) {
            b[qh + 4 + j] = (byte) ((L[j] & 0xF) | (L[j + 16] & 0xF) << 4);
            h |= ((L[j] & 0x10) >> 4) << j;
            h |= ((L[j + 16] & 0x10) >> 4) << (j + 16);
        }
        putLe32(b, qh, h);
    }
}
