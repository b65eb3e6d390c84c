package org.slim4j.tensor.quant;

import java.util.Locale;

/**
 * How weights are rounded to integers: bits, the group of input channels that shares a scale, and whether a zero
 * point is stored. Integers are signed, [-2^(b-1), 2^(b-1) - 1], as compressed-tensors stores them.
 *
 * @param groupSize input channels per scale; {@link #PER_CHANNEL} for one scale per output row, {@link #PER_TENSOR}
 *                  for one scale for the whole matrix
 */
public record QuantScheme(int bits, int groupSize, boolean symmetric) {
    public static final int PER_CHANNEL = -1;
    public static final int PER_TENSOR = 0;

    public QuantScheme {
        if (bits < 2 || bits > 8) throw new IllegalArgumentException("bits must be 2..8, got " + bits);
        if (groupSize < -1) throw new IllegalArgumentException("group size must be > 0, -1 (per channel) or 0 (per tensor)");
    }

    public int qmin() {
        return -(1 << (bits - 1));
    }

    public int qmax() {
        return (1 << (bits - 1)) - 1;
    }

    /** Groups per row for a row of {@code cols} values. */
    public int groupsPerRow(int cols) {
        if (groupSize <= 0) return 1;
        if (cols % groupSize != 0) throw new IllegalArgumentException(cols + " input channels are not a multiple of group " + groupSize);
        return cols / groupSize;
    }

    /** Columns covered by one scale in a row of {@code cols}. */
    public int groupWidth(int cols) {
        return groupSize <= 0 ? cols : groupSize;
    }

    @Override
    public String toString() {
        String g = groupSize == PER_CHANNEL ? "per-channel" : groupSize == PER_TENSOR ? "per-tensor" : "g" + groupSize;
        return String.format(Locale.ROOT, "int%d %s %s", bits, g, symmetric ? "sym" : "asym");
    }
}
