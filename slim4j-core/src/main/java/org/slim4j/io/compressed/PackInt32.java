package org.slim4j.io.compressed;

/**
 * compressed-tensors' pack_to_int32 / unpack_from_int32 (pack_quantized.py): signed b-bit integers are offset by
 * 2^(b-1) to unsigned, then 32/b of them go into one int32, the first in the lowest bits. Along dim 1 (a weight's
 * input dimension) for weight_packed; along dim 0 (the output dimension) for weight_zero_point. A short last int is
 * padded with zeros (unsigned zeros, i.e. the value -2^(b-1), cut off again on unpacking by the known shape).
 */
public final class PackInt32 {
    private PackInt32() {}

    public static int perInt(int bits) {
        if (bits < 1 || bits > 8) throw new IllegalArgumentException("packing needs 1..8 bits, got " + bits);
        return 32 / bits;
    }

    /** q [rows, cols] signed, into [rows, ceil(cols / (32/bits))]. */
    public static int[] packRows(int[] q, int rows, int cols, int bits) {
        int pf = perInt(bits), packedCols = ceil(cols, pf), offset = 1 << (bits - 1), mask = (1 << bits) - 1;
        int[] out = new int[rows * packedCols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r * packedCols + c / pf] |= ((q[r * cols + c] + offset) & mask) << (bits * (c % pf));
            }
        }
        return out;
    }

    /** q [rows, cols] signed, into [ceil(rows / (32/bits)), cols] (packed_dim=0). */
    public static int[] packColumns(int[] q, int rows, int cols, int bits) {
        int pf = perInt(bits), offset = 1 << (bits - 1), mask = (1 << bits) - 1;
        int[] out = new int[ceil(rows, pf) * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) out[(r / pf) * cols + c] |= ((q[r * cols + c] + offset) & mask) << (bits * (r % pf));
        }
        return out;
    }

    /** The inverse of {@link #packRows}: signed values [rows, cols]. */
    public static int[] unpackRows(int[] packed, int rows, int cols, int bits) {
        int pf = perInt(bits), packedCols = ceil(cols, pf), offset = 1 << (bits - 1), mask = (1 << bits) - 1;
        int[] q = new int[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) q[r * cols + c] = ((packed[r * packedCols + c / pf] >>> (bits * (c % pf))) & mask) - offset;
        }
        return q;
    }

    public static int[] unpackColumns(int[] packed, int rows, int cols, int bits) {
        int pf = perInt(bits), offset = 1 << (bits - 1), mask = (1 << bits) - 1;
        int[] q = new int[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) q[r * cols + c] = ((packed[(r / pf) * cols + c] >>> (bits * (r % pf))) & mask) - offset;
        }
        return q;
    }

    public static int ceil(int n, int d) {
        return (n + d - 1) / d;
    }
}
