package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/** IQ4_NL: fp16 d, 16 bytes of 4-bit indices into kvalues_iq4nl; x = d * kvalues[q] (dequantize_row_iq4_nl). */
final class IQ4_NLCodec extends BlockDecoder {
    IQ4_NLCodec() {
        super(DType.IQ4_NL);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = f16(b, 0);
        byte[] kv = IqGrids.KVALUES_IQ4NL;
        for (int j = 0; j < 16; j++) {
            y[o + j] = d * kv[u8(b, 2 + j) & 0xF];
            y[o + j + 16] = d * kv[u8(b, 2 + j) >> 4];
        }
    }
}
