package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q8_K: float32 d, 256 int8, 16 int16 sums of 16 (ignored when decoding); x = d * q. */
final class Q8_KCodec extends BlockDecoder {
    Q8_KCodec() {
        super(DType.Q8_K);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = Float.intBitsToFloat(le32(b, 0));
        for (int j = 0; j < 256; j++) y[o + j] = d * b[4 + j];
    }
}
