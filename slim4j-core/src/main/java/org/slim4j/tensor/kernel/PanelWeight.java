package org.slim4j.tensor.kernel;

/**
 * A linear weight [out, in] laid out for {@link PackedGemm}: output columns in panels of {@link #WIDTH}, each panel
 * stored input-row by input-row ([in, 16] row-major), so the GEMM reads one panel as a contiguous stream.
 * Float panels are read in place; integer panels are decoded a K-chunk at a time into a small float buffer that
 * stays in L1 while every row of the activation block uses it (the decode is paid once per 6-row tile group, not
 * per row).
 */
public interface PanelWeight {
    int WIDTH = 16;

    int out();

    int in();

    /**
     * Panel {@code p}, input rows [k0, k1), as floats at {@code view[base + (k - k0) * 16 + c]}: either this weight's
     * own array or {@code buf} (at least (k1 - k0) * 16 floats) after decoding. Returns the array; {@link #base}
     * gives the offset.
     */
    float[] view(int p, int k0, int k1, float[] buf);

    /** Offset of row k0 of panel p in the array {@link #view} returns (0 when it decodes into the buffer). */
    int base(int p, int k0);

    /** Bytes the packed weight occupies (its codes, scales and zero points). */
    long bytes();

    /**
     * Activation rows per block of {@link PackedGemm#run} (the A block kept in L2 while every panel streams past).
     * A weight whose panels cost a decode per visit takes all rows in one block, so each panel is decoded once.
     */
    default int rowBlock() {
        return PackedGemm.MC;
    }

    /** The weight is kept as codes and decoded into the buffer on use. */
    default boolean decodes() {
        return false;
    }

    static void checkShape(int out, int in) {
        if (out % WIDTH != 0 || out <= 0 || in <= 0) {
            throw new IllegalArgumentException("panel weights need out a positive multiple of " + WIDTH + ", got [" + out + ", " + in + "]");
        }
    }
}
