package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/**
 * Q4_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales and mins for 8 sub-blocks of 32, 128 bytes of nibbles
 * (each 32 bytes: low nibbles are one sub-block, high nibbles the next); x = (d*sc) * q - (dmin*m).
 */
final class Q4_KCodec extends BlockDecoder {
    Q4_KCodec() {
        super(DType.Q4_K);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0), min = f16(b, 2);
        int q = 16;
        for (int is = 0; is < 8; is += 2) {
            float d1 = d * scaleMinK4(b, 4, is, false), m1 = min * scaleMinK4(b, 4, is, true);
            float d2 = d * scaleMinK4(b, 4, is + 1, false), m2 = min * scaleMinK4(b, 4, is + 1, true);
            for (int l = 0; l < 32; l++) y[o++] = d1 * (u8(b, q + l) & 0xF) - m1;
            for (int l = 0; l < 32; l++) y[o++] = d2 * (u8(b, q + l) >> 4) - m2;
            q += 32;
        }
    }
}
