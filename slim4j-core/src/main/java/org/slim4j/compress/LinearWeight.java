package org.slim4j.compress;

/**
 * One linear layer's weight as the compression methods see it: W [rows = out features, cols = in features], float32
 * row-major on the heap (the original may be BF16, F16 or quantized; it is dequantized exactly once, here).
 */
public record LinearWeight(String name, int rows, int cols, float[] w) {
    public LinearWeight {
        if ((long) rows * cols != w.length) throw new IllegalArgumentException(name + ": " + rows + " x " + cols + " != " + w.length);
    }

    public LinearWeight withValues(float[] values) {
        return new LinearWeight(name, rows, cols, values);
    }
}
