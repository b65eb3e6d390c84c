package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q4_0 (fp16 d, 16 bytes of nibbles; quantize_row_q4_0_ref): d = signed max / -8, q = min(15, trunc(x/d + 8.5)). */
final class Q4_0Encoder extends BlockQuantizer {
    Q4_0Encoder() {
        super(DType.Q4_0);
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float d = signedMax(x, o, 32) / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(b, 0, d);
        for (int j = 0; j < 16; j++) {
            // (int8_t) in C truncates toward zero, like Java's (int) for these in-range values
            int q0 = Math.min(15, (byte) (int) (x[o + j] * id + 8.5f));
            int q1 = Math.min(15, (byte) (int) (x[o + 16 + j] * id + 8.5f));
            b[2 + j] = (byte) (q0 | q1 << 4);
        }
    }
}
