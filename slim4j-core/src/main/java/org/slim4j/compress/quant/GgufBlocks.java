package org.slim4j.compress.quant;

import java.lang.foreign.MemorySegment;
import java.util.Locale;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;

/**
 * A linear weight encoded in one of ggml's block types, row after row exactly as a GGUF stores it: what a calibrated
 * quantizer hands to the GGUF writer. The effective weight is the exact decoding of those bytes.
 */
public record GgufBlocks(int rows, int cols, DType type, byte[] data, String method) implements CompressedLinear {
    public GgufBlocks {
        if (data.length != rows * type.bytesFor(cols)) throw new IllegalArgumentException(rows + " rows of " + cols + " " + type + " need " + rows * type.bytesFor(cols) + " bytes, got " + data.length);
    }

    @Override
    public float[] effectiveWeight() {
        float[] w = new float[rows * cols];
        MemorySegment m = MemorySegment.ofArray(data);
        long rb = type.bytesFor(cols);
        for (int r = 0; r < rows; r++) Dequant.decode(type, m, r * rb, w, r * cols, cols);
        return w;
    }

    @Override
    public long storageBits() {
        return 8L * data.length;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%s (%s)", type, method);
    }
}
