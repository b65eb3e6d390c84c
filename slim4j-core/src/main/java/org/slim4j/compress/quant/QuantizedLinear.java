package org.slim4j.compress.quant;

import org.slim4j.tensor.quant.QuantScheme;
import java.util.Locale;
import org.slim4j.compress.CompressedLinear;

/**
 * A linear weight stored as signed integer codes with a scale (and, asymmetric, a zero point) per group: the form
 * compressed-tensors' pack-quantized format, GGUF-free exports and the integer kernels share.
 *
 * @param codes  [rows, cols] integers in [qmin, qmax]
 * @param scales [rows, groupsPerRow] (per-tensor: a single value)
 * @param zeros  [rows, groupsPerRow], all 0 when symmetric
 * @param scaleBits bits each scale and zero point takes in storage (16 for fp16/bf16 scales)
 */
public record QuantizedLinear(int rows, int cols, QuantScheme scheme, byte[] codes, float[] scales, int[] zeros,
                              int scaleBits, String method) implements CompressedLinear {

    public int groupsPerRow() {
        return scheme.groupSize() == QuantScheme.PER_TENSOR ? 1 : scheme.groupsPerRow(cols);
    }

    private int scaleIndex(int r, int c) {
        if (scheme.groupSize() == QuantScheme.PER_TENSOR) return 0;
        return r * groupsPerRow() + c / scheme.groupWidth(cols);
    }

    public float value(int r, int c) {
        int g = scaleIndex(r, c);
        return (codes[r * cols + c] - zeros[g]) * scales[g];
    }

    @Override
    public float[] effectiveWeight() {
        float[] w = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) w[r * cols + c] = value(r, c);
        return w;
    }

    @Override
    public long storageBits() {
        long params = scales.length * (long) scaleBits;
        if (!scheme.symmetric()) params += zeros.length * (long) scheme.bits();
        return (long) rows * cols * scheme.bits() + params;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%s (%s)", scheme, method);
    }
}
