package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/**
 * Q8_1: fp16 d, fp16 s (d times the sum of q, a shortcut for dot products), 32 int8; x = q * d.
 * ggml has no dequantize_row_q8_1 (Q8_1 only holds activations); this is the format's obvious meaning.
 */
final class Q8_1Codec extends BlockDecoder {
    Q8_1Codec() {
        super(DType.Q8_1);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0);
        for (int j = 0; j < 32; j++) y[o + j] = b[4 + j] * d;
    }
}
