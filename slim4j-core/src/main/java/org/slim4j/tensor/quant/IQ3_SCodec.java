package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/**
 * IQ3_S (3.44 bits): fp16 d, 64 low bytes of 9-bit iq3s_grid indices, 8 bytes of their high bits, 32 bytes of
 * explicit signs, 4 bytes of two 4-bit scales per 64 values; x = d * (1 + 2s) * grid * sign (dequantize_row_iq3_s).
 */
final class IQ3_SCodec extends BlockDecoder {
    IQ3_SCodec() {
        super(DType.IQ3_S);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0);
        int qs = 2, qh = 66, signs = 74;
        for (int ib32 = 0; ib32 < 8; ib32 += 2) {
            int sc = u8(b, 106 + ib32 / 2);
            float db1 = d * (1 + 2 * (sc & 0xF)), db2 = d * (1 + 2 * (sc >> 4));
            for (int half = 0; half < 2; half++) {
                int h = u8(b, qh + half);
                for (int l = 0; l < 4; l++) {
                    int g1 = IqGrids.IQ3S[u8(b, qs + 2 * l) | ((h << (8 - 2 * l)) & 256)];
                    int g2 = IqGrids.IQ3S[u8(b, qs + 2 * l + 1) | ((h << (7 - 2 * l)) & 256)];
                    IqSigns.put(y, o + 32 * (ib32 + half) + 8 * l, half == 0 ? db1 : db2, g1, g2, u8(b, signs + l));
                }
                qs += 8;
                signs += 4;
            }
            qh += 2;
        }
    }
}
