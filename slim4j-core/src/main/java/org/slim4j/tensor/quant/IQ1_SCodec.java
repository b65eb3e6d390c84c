package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/**
 * IQ1_S (1.56 bits): fp16 d, 32 low bytes of 11-bit iq1s_grid indices (8 ternary values each), then per group of 32 a
 * 16-bit word: the indices' high bits (3 per 8 values), a 3-bit scale and the sign of the shift delta;
 * x = d * (2s + 1) * (grid + delta) (dequantize_row_iq1_s).
 */
final class IQ1_SCodec extends BlockDecoder {
    IQ1_SCodec() {
        super(DType.IQ1_S);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0);
        for (int ib = 0; ib < 8; ib++) {
            int qh = u8(b, 34 + 2 * ib) | u8(b, 35 + 2 * ib) << 8;
            float dl = d * (2 * ((qh >> 12) & 7) + 1);
            float delta = (qh & 0x8000) != 0 ? -IqGrids.IQ1S_DELTA : IqGrids.IQ1S_DELTA;
            for (int l = 0; l < 4; l++) {
                long grid = IqGrids.IQ1S[u8(b, 2 + 4 * ib + l) | (((qh >> 3 * l) & 7) << 8)];
                for (int j = 0; j < 8; j++) y[o + 32 * ib + 8 * l + j] = dl * ((byte) (grid >>> (8 * j)) + delta);
            }
        }
    }
}
