package org.slim4j.compress.quant;

import org.slim4j.tensor.quant.QuantScheme;
/**
 * The scale and zero point of one group, and rounding onto that grid, with compressed-tensors' formulas
 * (calculate_qparams): the range always includes 0; symmetric: scale = max|x| / ((qmax - qmin) / 2), zero 0;
 * asymmetric: scale = (max - min) / (qmax - qmin), zero = round(qmin - min / scale) clamped to [qmin, qmax].
 * q = clamp(round(x / scale + zero), qmin, qmax); x' = (q - zero) * scale. The scale is rounded up to fp16 first, the
 * type the checkpoint stores it in, so that every method rounds onto the grid a loader will decode with and the
 * error it minimises and reports is the stored model's.
 */
public record QuantGrid(float scale, int zero, int qmin, int qmax) {
    private static final float EPS = 1.1920929e-07f; // float32 machine epsilon, as torch.finfo(float32).eps

    public static QuantGrid fit(float min, float max, QuantScheme s) {
        min = Math.min(min, 0f);
        max = Math.max(max, 0f);
        float range = s.qmax() - s.qmin();
        if (s.symmetric()) {
            float scale = fp16(Math.max(Math.abs(min), Math.abs(max)) / (range / 2));
            return new QuantGrid(scale == 0 ? EPS : scale, 0, s.qmin(), s.qmax());
        }
        float scale = fp16((max - min) / range);
        if (scale == 0) scale = EPS;
        int zero = Math.round(Math.clamp(s.qmin() - min / scale, s.qmin(), s.qmax()));
        return new QuantGrid(scale, zero, s.qmin(), s.qmax());
    }

    /** The grid for values[from, from + n), optionally with its range shrunk by {@code shrink} (clipping search). */
    public static QuantGrid fit(float[] values, int from, int n, QuantScheme s, float shrink) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + n; i++) {
            min = Math.min(min, values[i]);
            max = Math.max(max, values[i]);
        }
        return fit(min * shrink, max * shrink, s);
    }

    /** The smallest fp16 value >= x (x >= 0): rounding up keeps the range on the grid, so no value clips. */
    static float fp16(float x) {
        short h = Float.floatToFloat16(Math.min(x, 65504f));
        return Float.float16ToFloat(h) < x ? Float.float16ToFloat((short) (h + 1)) : Float.float16ToFloat(h);
    }

    public int quantize(float x) {
        return (int) Math.clamp(Math.rint(x / scale + zero), qmin, qmax);
    }

    public float dequantize(int q) {
        return (q - zero) * scale;
    }

    public float roundTrip(float x) {
        return dequantize(quantize(x));
    }
}
