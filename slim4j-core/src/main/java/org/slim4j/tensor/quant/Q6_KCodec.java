package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** Q6_K: 128 bytes low nibbles, 64 bytes of 2-bit high parts, 16 int8 scales, fp16 d; x = (d*sc) * (q - 32). */
final class Q6_KCodec extends BlockDecoder {
    Q6_KCodec() {
        super(DType.Q6_K);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 208);
        int ql = 0, qh = 128, sc = 192;
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(b, qh + l);
                int q1 = ((u8(b, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((u8(b, ql + l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                int q3 = ((u8(b, ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
                int q4 = ((u8(b, ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
                y[o + n + l] = d * b[sc + is] * q1;
                y[o + n + l + 32] = d * b[sc + is + 2] * q2;
                y[o + n + l + 64] = d * b[sc + is + 4] * q3;
                y[o + n + l + 96] = d * b[sc + is + 6] * q4;
            }
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}
