package org.slim4j.tensor.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;

/**
 * A linear layer of integer codes with group scales (compressed-tensors' pack-quantized: signed codes c, a scale s and
 * a zero z per row and group, weight s (c - z)), run by the C kernels on int8 activations: the codes are re-laid once,
 * exactly, into a form the kernels read: 8-bit symmetric codes as Q8_0 blocks (the group's scale on each 32-block),
 * 4-bit symmetric ones as Q4_0 blocks (codes plus 8), both in the 16-row layout; 4-bit asymmetric ones the same with
 * an integer zero per row and block. {@link #of} returns null where that cannot be exact (8-bit asymmetric, groups that are not
 * whole 32-blocks, scales an f16 cannot hold, rows not in whole groups of 16) or where the C kernels cannot run.
 */
public final class IntLinear {
    private final DType type; // Q8_0 or Q4_0 in the 16-row layout; null for the asymmetric 4-bit form
    private final MemorySegment data;
    private final int rows, cols, bits;

    private IntLinear(DType type, MemorySegment data, int rows, int cols, int bits) {
        this.type = type;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.bits = bits;
    }

    /**
     * @param q      signed codes [rows, cols]
     * @param scales [rows, groupsPerRow]
     * @param zeros  [rows, groupsPerRow] (all zero when symmetric)
     * @param width  columns per group (cols for one scale per row)
     */
    public static IntLinear of(int rows, int cols, int bits, int[] q, float[] scales, int[] zeros, int groupsPerRow, int width, Arena arena) {
        if (!NativeKernels.available() || width % 32 != 0 || cols % 32 != 0 || rows % NativeKernels.X16 != 0) return null;
        for (float s : scales) if (Float.float16ToFloat(Float.floatToFloat16(s)) != s) return null;
        boolean symmetric = true;
        for (int z : zeros) symmetric &= z == 0;
        int nb = cols / 32;
        if (symmetric && (bits == 8 || bits == 4)) { // ggml's Q8_0 / Q4_0 blocks in the file's layout, then re-laid
            DType t = bits == 8 ? DType.Q8_0 : DType.Q4_0;
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment blocks = tmp.allocate((long) rows * nb * t.blockBytes);
                for (int r = 0; r < rows; r++) {
                    for (int b = 0; b < nb; b++) {
                        long at = ((long) r * nb + b) * t.blockBytes;
                        blocks.set(Dequant.I16, at, Float.floatToFloat16(scales[r * groupsPerRow + 32 * b / width]));
                        for (int j = 0; j < (bits == 8 ? 32 : 16); j++) {
                            int c = q[r * cols + 32 * b + j];
                            byte v = bits == 8 ? (byte) c : (byte) ((c + 8) | (q[r * cols + 32 * b + 16 + j] + 8) << 4);
                            blocks.set(java.lang.foreign.ValueLayout.JAVA_BYTE, at + 2 + j, v);
                        }
                    }
                }
                MemorySegment packed = arena.allocate(NativeKernels.x16Bytes(t, rows, cols), 64);
                NativeKernels.x16Pack(t, blocks, (long) nb * t.blockBytes, rows, cols, packed);
                return new IntLinear(t, packed, rows, cols, bits);
            }
        }
        if (bits != 4) return null;
        // asymmetric: per 16 rows and block, s[16] (f16) | z + 8 [16] (u8) | nibble words, word m = bytes 4m..4m+3
        int tile = 32 + 16 + 256;
        MemorySegment packed = arena.allocate((long) rows / 16 * nb * tile, 64);
        for (int g = 0; g < rows / 16; g++) {
            for (int b = 0; b < nb; b++) {
                long t = ((long) g * nb + b) * tile;
                for (int rr = 0; rr < 16; rr++) {
                    int r = 16 * g + rr, grp = r * groupsPerRow + 32 * b / width;
                    packed.set(Dequant.I16, t + 2L * rr, Float.floatToFloat16(scales[grp]));
                    packed.set(java.lang.foreign.ValueLayout.JAVA_BYTE, t + 32 + rr, (byte) (zeros[grp] + 8));
                    for (int j = 0; j < 16; j++) {
                        int lo = q[r * cols + 32 * b + j] + 8, hi = q[r * cols + 32 * b + 16 + j] + 8;
                        packed.set(java.lang.foreign.ValueLayout.JAVA_BYTE, t + 48 + 64L * (j / 4) + 4L * rr + j % 4, (byte) (lo | hi << 4));
                    }
                }
            }
        }
        return new IntLinear(null, packed, rows, cols, 4);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int bits() {
        return bits;
    }

    /** Bytes of the codes and scales as held. */
    public long bytes() {
        return data.byteSize();
    }

    /**
     * y[i * yStride + yOffset + r] = dot(W[r], x_i) for rows [r0, r1) (whole groups of 16) and the n activation rows in
     * {@code a}; {@code yOffset}: where this layer's outputs start in a row of y (a part of a stacked product).
     */
    public void rows(int r0, int r1, Q8Act a, int n, float[] y, int yOffset, int yStride) {
        if (type != null) NativeKernels.x16Rows(type, data, r0 / 16, r1 / 16, a, n, y, yOffset, yStride, false);
        else NativeKernels.x16Q4zRows(data, r0 / 16, r1 / 16, a, n, y, yOffset, yStride);
    }
}
