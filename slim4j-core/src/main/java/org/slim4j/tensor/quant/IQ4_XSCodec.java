package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/**
 * IQ4_XS: fp16 d, 16 bits of scale high parts, 4 bytes of scale low nibbles, 128 bytes of kvalues_iq4nl indices;
 * 8 groups of 32 with a 6-bit scale ls each: x = d * (ls - 32) * kvalues[q] (dequantize_row_iq4_xs).
 */
final class IQ4_XSCodec extends BlockDecoder {
    IQ4_XSCodec() {
        super(DType.IQ4_XS);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0);
        int scalesH = u8(b, 2) | u8(b, 3) << 8;
        byte[] kv = IqGrids.KVALUES_IQ4NL;
        for (int ib = 0; ib < 8; ib++) {
            int ls = ((u8(b, 4 + ib / 2) >> 4 * (ib % 2)) & 0xF) | ((scalesH >> 2 * ib) & 3) << 4;
            float dl = d * (ls - 32);
            int qs = 8 + 16 * ib, yo = o + 32 * ib;
            for (int j = 0; j < 16; j++) {
                y[yo + j] = dl * kv[u8(b, qs + j) & 0xF];
                y[yo + j + 16] = dl * kv[u8(b, qs + j) >> 4];
            }
        }
    }
}
