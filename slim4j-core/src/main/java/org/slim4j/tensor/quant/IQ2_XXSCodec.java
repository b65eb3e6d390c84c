package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/**
 * IQ2_XXS (2.06 bits): fp16 d, then per group of 32 two 32-bit words: four 8-bit indices into iq2xxs_grid, and four
 * 7-bit sign indices (ksigns_iq2xs) with a 4-bit scale in the top bits; x = d * (0.5 + s) * 0.25 * grid * sign
 * (dequantize_row_iq2_xxs).
 */
final class IQ2_XXSCodec extends BlockDecoder {
    IQ2_XXSCodec() {
        super(DType.IQ2_XXS);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0);
        for (int ib32 = 0; ib32 < 8; ib32++) {
            int q = 2 + 8 * ib32;
            int aux1 = le32(b, q + 4);
            float db = d * (0.5f + (aux1 >>> 28)) * 0.25f;
            for (int l = 0; l < 4; l++) {
                long grid = IqGrids.IQ2XXS[u8(b, q + l)];
                int signs = IqGrids.KSIGNS[(aux1 >>> 7 * l) & 127];
                IqSigns.put(y, o + 32 * ib32 + 8 * l, db, grid, signs);
            }
        }
    }
}
