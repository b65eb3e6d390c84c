package org.slim4j.compress.quant;

import java.util.Locale;
import org.slim4j.compress.CompressedLinear;

/**
 * A quantized weight of W diag(s) whose input is divided by s per channel (AWQ's scaling kept as an explicit
 * multiply): y = Q(W diag(s)) (x / s). Where the architecture allows, the 1 / s is folded into the op before
 * (a pre-norm's weight, the previous linear's rows) and the explicit vector disappears; the effective weight is
 * the same either way. Storage counts the vector (16 bits a channel) because here it is kept.
 */
public record InputScaledLinear(QuantizedLinear quantized, float[] inputScale, String note) implements CompressedLinear {

    @Override
    public float[] effectiveWeight() {
        float[] w = quantized.effectiveWeight();
        int cols = quantized.cols();
        for (int i = 0; i < w.length; i++) w[i] /= inputScale[i % cols];
        return w;
    }

    @Override
    public int rows() {
        return quantized.rows();
    }

    @Override
    public int cols() {
        return quantized.cols();
    }

    @Override
    public long storageBits() {
        return quantized.storageBits() + 16L * inputScale.length;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%s, %s", quantized.describe(), note);
    }
}
