package org.slim4j.compress.prune;

import java.util.Locale;
import org.slim4j.compress.CompressedLinear;

/**
 * A pruned weight as compressed-tensors stores it: a keep-mask and the kept values in fp16 (the effective weight
 * is rounded to fp16 too, so evaluation sees what is stored). Storage follows the format chosen for the pattern:
 * 2:4 uses sparse-24-bitmask (values [rows, cols/2] + a 1-bit mask per weight); everything else sparse-bitmask
 * (the kept values, a 1-bit mask per weight packed per row, an int32 offset per row).
 */
public record SparseLinear(int rows, int cols, boolean[] keep, float[] values, SparsityPattern pattern, String method)
        implements CompressedLinear {

    /** From a dense matrix whose pruned entries are zero or not: the mask decides. */
    public static SparseLinear of(int rows, int cols, boolean[] keep, float[] w, SparsityPattern pattern, String method) {
        int kept = 0;
        for (boolean k : keep) if (k) kept++;
        float[] v = new float[kept];
        int j = 0;
        for (int i = 0; i < keep.length; i++) if (keep[i]) v[j++] = Float.float16ToFloat(Float.floatToFloat16(w[i]));
        return new SparseLinear(rows, cols, keep, v, pattern, method);
    }

    @Override
    public float[] effectiveWeight() {
        float[] w = new float[rows * cols];
        int j = 0;
        for (int i = 0; i < w.length; i++) if (keep[i]) w[i] = values[j++];
        return w;
    }

    public boolean is24() {
        return pattern.n() == 2 && pattern.m() == 4;
    }

    @Override
    public long storageBits() {
        long mask = (long) rows * ((cols + 7) / 8) * 8;
        if (is24()) return mask + (long) rows * (cols / 2) * 16;
        return mask + (long) values.length * 16 + 32L * rows;
    }

    public double sparsity() {
        return 1 - (double) values.length / ((long) rows * cols);
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%s, %.1f%% zero (%s)", pattern, 100 * sparsity(), method);
    }
}
