package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q5_1: fp16 d, fp16 m, 32 fifth bits, 16 bytes of nibbles; x = q * d + m. */
final class Q5_1Codec extends BlockDecoder {
    Q5_1Codec() {
        super(DType.Q5_1);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0), m = f16(b, 2);
        int qh = le32(b, 4);
        for (int j = 0; j < 16; j++) {
            int q = u8(b, 8 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[o + j] = ((q & 0xF) | h0) * d + m;
            y[o + j + 16] = ((q >> 4) | h1) * d + m;
        }
    }
}
