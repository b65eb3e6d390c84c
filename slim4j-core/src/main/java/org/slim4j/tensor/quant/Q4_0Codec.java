package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q4_0: fp16 d, 16 bytes of nibbles; low nibbles are values 0..15, high nibbles 16..31; x = (q - 8) * d. */
final class Q4_0Codec extends BlockDecoder {
    Q4_0Codec() {
        super(DType.Q4_0);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0);
        for (int j = 0; j < 16; j++) {
            int q = u8(b, 2 + j);
            y[o + j] = ((q & 0xF) - 8) * d;
            y[o + j + 16] = ((q >> 4) - 8) * d;
        }
    }
}
