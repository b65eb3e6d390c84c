package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q8_0: fp16 d, 32 int8; x = q * d. */
final class Q8_0Codec extends BlockDecoder {
    Q8_0Codec() {
        super(DType.Q8_0);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0);
        for (int j = 0; j < 32; j++) y[o + j] = b[2 + j] * d;
    }
}
