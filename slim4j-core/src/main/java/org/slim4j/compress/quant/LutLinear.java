package org.slim4j.compress.quant;

import java.util.Locale;
import org.slim4j.compress.CompressedLinear;

/**
 * A non-uniformly quantized linear (SqueezeLLM's dense-and-sparse form): each weight is an index into its row's
 * lookup table of 2^bits values, except a few outliers kept exactly in a sparse list that overrides the table.
 * LUT entries and outlier values are stored as fp16 and held here already rounded to it, so
 * {@link #effectiveWeight()} is exactly what a file round trip gives.
 *
 * @param codes          [rows, cols] table indices, 0 .. 2^bits - 1 (an outlier's code is ignored)
 * @param lut            [rows, 2^bits] fp16-representable values
 * @param outlierIndex   flat indices r * cols + c, ascending
 * @param outlierValue   fp16-representable values, one per index
 */
public record LutLinear(int rows, int cols, int bits, byte[] codes, float[] lut, int[] outlierIndex, float[] outlierValue,
                        String method) implements CompressedLinear {
    /** Each sparse entry stores a 32-bit flat index and an fp16 value. */
    public static final int OUTLIER_BITS = 32 + 16;

    public int levels() {
        return 1 << bits;
    }

    @Override
    public float[] effectiveWeight() {
        int k = levels();
        float[] w = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) w[r * cols + c] = lut[r * k + (codes[r * cols + c] & 0xff)];
        for (int i = 0; i < outlierIndex.length; i++) w[outlierIndex[i]] = outlierValue[i];
        return w;
    }

    @Override
    public long storageBits() {
        return (long) rows * cols * bits + (long) rows * levels() * 16 + (long) outlierIndex.length * OUTLIER_BITS;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "lut%d per-row%s (%s)", bits,
                outlierIndex.length == 0 ? "" : String.format(Locale.ROOT, " + %.2f%% fp16 outliers", 100.0 * outlierIndex.length / ((long) rows * cols)), method);
    }
}
