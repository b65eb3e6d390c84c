package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q5_0: fp16 d, 32 fifth bits (uint32, bit i for value i), 16 bytes of nibbles; x = (q - 16) * d. */
final class Q5_0Codec extends BlockDecoder {
    Q5_0Codec() {
        super(DType.Q5_0);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0);
        int qh = le32(b, 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(b, 6 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[o + j] = (((q & 0xF) | h0) - 16) * d;
            y[o + j + 16] = (((q >> 4) | h1) - 16) * d;
        }
    }
}
