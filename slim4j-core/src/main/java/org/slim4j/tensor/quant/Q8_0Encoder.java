package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q8_0 (fp16 d, 32 int8; quantize_row_q8_0_ref): d = amax / 127, q = roundf(x / d). */
final class Q8_0Encoder extends BlockQuantizer {
    Q8_0Encoder() {
        super(DType.Q8_0);
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[o + j]));
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(b, 0, d);
        for (int j = 0; j < 32; j++) b[2 + j] = (byte) roundf(x[o + j] * id);
    }
}
