package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q5_0 (fp16 d, 32 fifth bits, nibbles; quantize_row_q5_0_ref): d = signed max / -16, q = min(31, trunc(x/d + 16.5)). */
final class Q5_0Encoder extends BlockQuantizer {
    Q5_0Encoder() {
        super(DType.Q5_0);
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float d = signedMax(x, o, 32) / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(b, 0, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(31, (byte) (int) (x[o + j] * id + 16.5f));
            int q1 = Math.min(31, (byte) (int) (x[o + 16 + j] * id + 16.5f));
            b[6 + j] = (byte) ((q0 & 0xF) | (q1 & 0xF) << 4);
            qh |= ((q0 & 0x10) >> 4) << j;
            qh |= ((q1 & 0x10) >> 4) << (j + 16);
        }
        putLe32(b, 2, qh);
    }
}
