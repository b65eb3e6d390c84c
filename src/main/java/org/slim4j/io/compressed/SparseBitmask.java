package org.slim4j.io.compressed;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/**
 * compressed-tensors' two sparse layouts (compressors/sparse_compressors/sparse_bitmask.py and sparse_24_bitmask.py,
 * utils/helpers.py pack_bitmasks; docs/FORMATS.md). For a module M:
 * sparse-bitmask: M.shape I64 [2], M.compressed [nnz] (the non-zero values, row-major), M.bitmask U8
 * [rows, ceil(cols / 8)], M.row_offsets I64 [rows] (index in compressed of each row's first value);
 * sparse-24-bitmask: M.shape I64 [2, 1], M.compressed [rows, cols / 2], M.bitmask as above.
 * The bitmask is numpy.packbits(mask, axis=-1, bitorder="little"): column c of a row is bit c % 8 of byte c / 8.
 */
public final class SparseBitmask {
    public static final String UNSTRUCTURED = "sparse-bitmask";
    public static final String TWO_FOUR = "sparse-24-bitmask";
    static final String[] PARTS = {".shape", ".compressed", ".bitmask", ".row_offsets"};

    private SparseBitmask() {}

    static byte[] packBits(boolean[] mask, int rows, int cols) {
        int stride = (cols + 7) / 8;
        byte[] out = new byte[rows * stride];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) if (mask[r * cols + c]) out[r * stride + c / 8] |= (byte) (1 << (c % 8));
        }
        return out;
    }

    static boolean[] unpackBits(byte[] bits, int rows, int cols) {
        int stride = (cols + 7) / 8;
        boolean[] mask = new boolean[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) mask[r * cols + c] = (bits[r * stride + c / 8] >> (c % 8) & 1) != 0;
        }
        return mask;
    }

    /**
     * Writes the layer's tensors, w [rows, cols] with {@code keep} its kept entries; returns their bytes. The values
     * are stored F16 (pruned layers keep them at fp16). 2:4 stores the keep-mask as is (two per group, as
     * get_24_bytemasks picks them); unstructured stores the non-zeros, as bitmask_compress (tensor != 0) does.
     */
    public static long write(SafetensorsWriter out, String module, int rows, int cols, float[] w, boolean[] keep, boolean twoFour) {
        boolean[] mask = new boolean[w.length];
        for (int i = 0; i < w.length; i++) mask[i] = twoFour ? keep[i] : w[i] != 0;
        int nnz = 0;
        long[] offsets = new long[rows];
        for (int r = 0; r < rows; r++) {
            offsets[r] = nnz;
            for (int c = 0; c < cols; c++) if (mask[r * cols + c]) nnz++;
        }
        if (twoFour && nnz * 2L != (long) rows * cols) throw new IllegalArgumentException(module + ": a 2:4 mask keeps half the weights, this one " + nnz + " of " + rows * cols);
        float[] values = new float[nnz];
        for (int i = 0, j = 0; i < w.length; i++) if (mask[i]) values[j++] = w[i];
        long bytes = 0;
        bytes += longs(out, module + ".shape", twoFour ? new long[] {2, 1} : new long[] {2}, new long[] {rows, cols});
        out.add(module + ".compressed", DType.F16, twoFour ? new long[] {rows, cols / 2} : new long[] {nnz}, values);
        bytes += DType.F16.bytesFor(nnz);
        byte[] bits = packBits(mask, rows, cols);
        out.add(module + ".bitmask", DType.U8, new long[] {rows, (cols + 7) / 8}, MemorySegment.ofArray(bits));
        bytes += bits.length;
        if (!twoFour) bytes += longs(out, module + ".row_offsets", new long[] {rows}, offsets);
        return bytes;
    }

    private static long longs(SafetensorsWriter out, String name, long[] shape, long[] values) {
        MemorySegment s = MemorySegment.ofArray(new byte[values.length * 8]);
        MemorySegment.copy(values, 0, s, Dequant.I64, 0, values.length);
        out.add(name, DType.I64, shape, s);
        return s.byteSize();
    }

    /** A decoded layer: its dense F32 weight in the arena, the same values on the heap, and which entries are stored. */
    record Decoded(Tensor weight, float[] w, boolean[] mask) {}

    /** The layer whose bitmask tensor is {@code module}.bitmask; {@code format} is the sparsity_config's. */
    static Decoded decode(SafetensorsFile f, String module, String format, Arena arena) {
        int[] shape = CompressedTensorsFile.matrixShape(f, module + ".shape");
        int rows = shape[0], cols = shape[1];
        Tensor bt = f.tensor(module + ".bitmask");
        int stride = (cols + 7) / 8;
        if ((bt.dtype() != DType.U8 && bt.dtype() != DType.I8) || bt.elements() != (long) rows * stride) {
            throw new BadInputException(f.path(), module + ".bitmask", "expected U8 [" + rows + ", " + stride + "] for " + rows + " x " + cols + ", got " + bt);
        }
        boolean[] mask = unpackBits(bt.data().toArray(ValueLayout.JAVA_BYTE), rows, cols);
        int nnz = 0;
        for (boolean m : mask) if (m) nnz++;
        Tensor ct = f.tensor(module + ".compressed");
        if (!ct.dtype().isFloatLike() || ct.elements() != nnz) {
            throw new BadInputException(f.path(), module + ".compressed", "expected " + nnz + " float values (the bitmask's set bits), got " + ct);
        }
        if (TWO_FOUR.equals(format) && (ct.shape().length != 2 || ct.shape()[0] != rows || ct.shape()[1] != cols / 2)) {
            throw new BadInputException(f.path(), module + ".compressed", "sparse-24-bitmask values are [" + rows + ", " + cols / 2 + "], got " + ct.shapeString());
        }
        f.find(module + ".row_offsets").ifPresent(t -> {
            int[] off = CompressedTensorsFile.ints(f, t.name());
            int at = 0;
            for (int r = 0; r < rows; r++) {
                if (r >= off.length || off[r] != at) throw new BadInputException(f.path(), t.name(), "row " + r + " should start at value " + at);
                for (int c = 0; c < cols; c++) if (mask[r * cols + c]) at++;
            }
        });
        float[] values = Dequant.toFloats(ct);
        float[] w = new float[rows * cols];
        for (int i = 0, j = 0; i < w.length; i++) if (mask[i]) w[i] = values[j++];
        MemorySegment dst = arena.allocate(4L * w.length, 64);
        MemorySegment.copy(w, 0, dst, Dequant.F32, 0, w.length);
        return new Decoded(new Tensor(module + ".weight", DType.F32, new long[] {rows, cols}, dst), w, mask);
    }
}
