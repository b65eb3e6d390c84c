package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/**
 * IQ3_XXS (3.06 bits): fp16 d, 64 bytes of iq3xxs_grid indices (4 values each), then per group of 32 a word of four
 * 7-bit sign indices and a 4-bit scale; x = d * (0.5 + s) * 0.5 * grid * sign (dequantize_row_iq3_xxs).
 */
final class IQ3_XXSCodec extends BlockDecoder {
    IQ3_XXSCodec() {
        super(DType.IQ3_XXS);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0);
        for (int ib32 = 0; ib32 < 8; ib32++) {
            int aux = le32(b, 66 + 4 * ib32);
            float db = d * (0.5f + (aux >>> 28)) * 0.5f;
            int qs = 2 + 8 * ib32;
            for (int l = 0; l < 4; l++) {
                int signs = IqGrids.KSIGNS[(aux >>> 7 * l) & 127];
                IqSigns.put(y, o + 32 * ib32 + 8 * l, db, IqGrids.IQ3XXS[u8(b, qs + 2 * l)], IqGrids.IQ3XXS[u8(b, qs + 2 * l + 1)], signs);
            }
        }
    }
}
