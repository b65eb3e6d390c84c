package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/**
 * Q5_K: as Q4_K plus 32 bytes of fifth bits: bit 2k of qh[l] belongs to the low nibbles of 32-byte group k,
 * bit 2k+1 to its high nibbles.
 */
final class Q5_KCodec extends BlockDecoder {
    Q5_KCodec() {
        super(DType.Q5_K);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0), min = f16(b, 2);
        int ql = 48, u1 = 1, u2 = 2;
        for (int is = 0; is < 8; is += 2) {
            float d1 = d * scaleMinK4(b, 4, is, false), m1 = min * scaleMinK4(b, 4, is, true);
            float d2 = d * scaleMinK4(b, 4, is + 1, false), m2 = min * scaleMinK4(b, 4, is + 1, true);
            for (int l = 0; l < 32; l++) y[o++] = d1 * ((u8(b, ql + l) & 0xF) + ((u8(b, 16 + l) & u1) != 0 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++) y[o++] = d2 * ((u8(b, ql + l) >> 4) + ((u8(b, 16 + l) & u2) != 0 ? 16 : 0)) - m2;
            ql += 32;
            u1 <<= 2;
            u2 <<= 2;
        }
    }
}
