package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q5_K (fp16 d, dmin, 12 bytes scales/mins, qh[32], 128 bytes of nibbles; quantize_row_q5_K_ref): Q4_K with 5-bit levels. */
final class Q5_KEncoder extends BlockQuantizer {
    Q5_KEncoder() {
        super(DType.Q5_K);
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        byte[] L = new byte[256];
        Q4_KEncoder.scalesAndLevels(x, o, b, L, 31, -0.5f, 0.1f, 15);
        pack(L, b);
    }

    @Override
    boolean weighted() {
        return true;
    }

    @Override
    void encodeWeighted(float[] x, int o, float[] qw, int qo, float rowSigma2, byte[] b) {
        byte[] L = new byte[256];
        Q4_KEncoder.weightedScalesAndLevels(x, o, qw, qo, b, L, 31);
        pack(L, b);
    }

    /** The 5-bit levels L[0, 256): low nibbles as Q4_K's, fifth bits in qh (two bits per 64 values). */
    static void pack(byte[] L, byte[] b) {
        for (int j = 0; j < 32; j++) b[16 + j] = 0;
        int m1 = 1, m2 = 2;
        for (int n = 0, ql = 48; n < 256; n += 64, ql += 32) {
            for (int j = 0; j < 32; j++) {
                int l1 = L[n + j], l2 = L[n + j + 32];
                if (l1 > 15) {
                    l1 -= 16;
                    b[16 + j] |= (byte) m1;
                }
                if (l2 > 15) {
                    l2 -= 16;
                    b[16 + j] |= (byte) m2;
                }
                b[ql + j] = (byte) (l1 | l2 << 4);
            }
            m1 <<= 2;
            m2 <<= 2;
        }
    }
}
