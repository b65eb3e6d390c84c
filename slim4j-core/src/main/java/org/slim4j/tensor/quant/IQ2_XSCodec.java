package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/**
 * IQ2_XS (2.31 bits): fp16 d, 32 16-bit codes (9-bit iq2xs_grid index, 7-bit sign index), 8 bytes of two 4-bit
 * scales per group of 32 (one per 16 values); x = d * (0.5 + s) * 0.25 * grid * sign (dequantize_row_iq2_xs).
 */
final class IQ2_XSCodec extends BlockDecoder {
    IQ2_XSCodec() {
        super(DType.IQ2_XS);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0);
        for (int ib32 = 0; ib32 < 8; ib32++) {
            int sc = u8(b, 66 + ib32);
            float db0 = d * (0.5f + (sc & 0xF)) * 0.25f, db1 = d * (0.5f + (sc >> 4)) * 0.25f;
            for (int l = 0; l < 4; l++) {
                int code = u8(b, 2 + 2 * (4 * ib32 + l)) | u8(b, 3 + 2 * (4 * ib32 + l)) << 8;
                IqSigns.put(y, o + 32 * ib32 + 8 * l, l < 2 ? db0 : db1, IqGrids.IQ2XS[code & 511], IqGrids.KSIGNS[code >> 9]);
            }
        }
    }
}
