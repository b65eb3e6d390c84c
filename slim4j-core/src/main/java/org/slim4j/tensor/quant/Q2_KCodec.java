package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/**
 * Q2_K: 16 bytes of (low nibble scale, high nibble min) for 16 sub-blocks of 16, 64 bytes of 2-bit q, fp16 d,
 * fp16 dmin. Each 32-byte half of qs holds 128 values: bit pair p of byte l is value 32p + l.
 */
final class Q2_KCodec extends BlockDecoder {
    Q2_KCodec() {
        super(DType.Q2_K);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 80), min = f16(b, 82);
        int is = 0, q = 16;
        for (int n = 0; n < 256; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 32; half += 16) {
                    int sc = u8(b, is++);
                    float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                    for (int l = 0; l < 16; l++) y[o++] = dl * ((u8(b, q + half + l) >> shift) & 3) - ml;
                }
            }
            q += 32;
        }
    }
}
