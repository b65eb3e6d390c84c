package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q4_1: fp16 d, fp16 m, 16 bytes of nibbles (low = first 16 values); x = q * d + m. */
final class Q4_1Codec extends BlockDecoder {
    Q4_1Codec() {
        super(DType.Q4_1);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0), m = f16(b, 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(b, 4 + j);
            y[o + j] = (q & 0xF) * d + m;
            y[o + j + 16] = (q >> 4) * d + m;
        }
    }
}
