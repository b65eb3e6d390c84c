package org.slim4j.compress.lowrank;

import java.util.Locale;
import org.slim4j.compress.CompressedLinear;

/**
 * W ~ A B with A [rows, r] and B [r, cols], both stored in fp16 (the factors are rounded on construction, so the
 * effective weight is what a file holds). A layer computes y = A (B x): (rows + cols) r multiply-adds per token
 * instead of rows x cols.
 */
public record LowRankLinear(int rows, int cols, int rank, float[] a, float[] b, String method) implements CompressedLinear {

    public LowRankLinear {
        if (a.length != rows * rank || b.length != rank * cols) throw new IllegalArgumentException("factor sizes do not match rank " + rank);
        for (int i = 0; i < a.length; i++) a[i] = Float.float16ToFloat(Float.floatToFloat16(a[i]));
        for (int i = 0; i < b.length; i++) b[i] = Float.float16ToFloat(Float.floatToFloat16(b[i]));
    }

    @Override
    public float[] effectiveWeight() {
        return org.slim4j.tensor.kernel.FactorPair.product(rows, cols, rank, a, b);
    }

    public long parameters() {
        return (long) (rows + cols) * rank;
    }

    @Override
    public long storageBits() {
        return parameters() * 16;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "rank %d (%s)", rank, method);
    }
}
