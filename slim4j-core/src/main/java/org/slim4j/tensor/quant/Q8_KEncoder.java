package org.slim4j.tensor.quant;

import static org.slim4j.tensor.quant.KQuantMath.nearestInt;

import org.slim4j.tensor.DType;

/** Q8_K (f32 d, 256 int8, 16 int16 group sums; quantize_row_q8_K_ref): q = nearest(-127/max * x), d = 1/iscale. */
final class Q8_KEncoder extends BlockQuantizer {
    Q8_KEncoder() {
        super(DType.Q8_K);
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float max = 0, amax = 0;
        for (int j = 0; j < 256; j++) {
            float ax = Math.abs(x[o + j]);
            if (ax > amax) {
                amax = ax;
                max = x[o + j];
            }
        }
        if (amax == 0) return; // d = 0, all levels 0
        float iscale = -127.f / max;
        for (int j = 0; j < 256; j++) b[4 + j] = (byte) Math.min(127, nearestInt(iscale * x[o + j]));
        for (int j = 0; j < 16; j++) {
            int sum = 0;
            for (int ii = 0; ii < 16; ii++) sum += b[4 + 16 * j + ii];
            b[260 + 2 * j] = (byte) sum;
            b[261 + 2 * j] = (byte) (sum >> 8);
        }
        putLe32(b, 0, Float.floatToRawIntBits(1 / iscale));
    }
}
