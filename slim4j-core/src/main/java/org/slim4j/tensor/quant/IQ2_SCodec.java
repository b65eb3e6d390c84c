package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/**
 * IQ2_S (2.56 bits): fp16 d, 32 low bytes of 10-bit iq2s_grid indices, 32 bytes of explicit signs, 8 bytes of the
 * indices' high bits, 8 bytes of two 4-bit scales per group of 32; x = d * (0.5 + s) * 0.25 * grid * sign
 * (dequantize_row_iq2_s).
 */
final class IQ2_SCodec extends BlockDecoder {
    IQ2_SCodec() {
        super(DType.IQ2_S);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0);
        for (int ib32 = 0; ib32 < 8; ib32++) {
            int sc = u8(b, 74 + ib32), qh = u8(b, 66 + ib32);
            float db0 = d * (0.5f + (sc & 0xF)) * 0.25f, db1 = d * (0.5f + (sc >> 4)) * 0.25f;
            for (int l = 0; l < 4; l++) {
                int idx = u8(b, 2 + 4 * ib32 + l) | (qh << (8 - 2 * l) & 0x300);
                IqSigns.put(y, o + 32 * ib32 + 8 * l, l < 2 ? db0 : db1, IqGrids.IQ2S[idx], u8(b, 34 + 4 * ib32 + l));
            }
        }
    }
}
