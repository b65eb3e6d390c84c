package org.slim4j.tensor.quant;

import org.slim4j.tensor.DType;

/**
 * Q3_K: 32 bytes high-bit mask, 64 bytes of 2-bit q, 12 bytes of 16 packed 6-bit scales (offset by 32), fp16 d.
 * A value is its 2 low bits minus 4 when its mask bit is clear.
 */
final class Q3_KCodec extends BlockDecoder {
    Q3_KCodec() {
        super(DType.Q3_K);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float dAll = f16(b, 108);
        int[] scales = scales(b, 96);
        int is = 0, q = 32, m = 1;
        for (int n = 0; n < 256; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 32; half += 16) {
                    float dl = dAll * (scales[is++] - 32);
                    for (int l = 0; l < 16; l++) {
                        int lo = (u8(b, q + half + l) >> shift) & 3;
                        int hi = (u8(b, half + l) & m) != 0 ? 0 : 4;
                        y[o++] = dl * (lo - hi);
                    }
                }
                m <<= 1;
            }
            q += 32;
        }
    }

    /** Scale j: low 4 bits from byte j%8 (low nibble for j < 8), high 2 bits from byte 8 + j%4 at bit 2*(j/4). */
    private static int[] scales(byte[] b, int s) {
        int[] out = new int[16];
        for (int j = 0; j < 16; j++) {
            int low = j < 8 ? u8(b, s + j) & 0xF : u8(b, s + j - 8) >> 4;
            int high = (u8(b, s + 8 + j % 4) >> (2 * (j / 4))) & 3;
            out[j] = low | high << 4;
        }
        return out;
    }
}
