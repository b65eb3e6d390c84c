package org.slim4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Exact dequantization of any tensor to float32, following ggml's reference formulas (dequantize_row_* in
 * ggml-quants.c) for the block types. This is the reference path; fast kernels are tested against it.
 */
public final class Dequant {
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Dequant() {}

    /** Decodes {@code n} values of type {@code type} starting at byte {@code offset} of {@code src}. */
    public static void decode(DType type, MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, F32, offset, dst, dstOffset, n);
            case F16 -> {
                for (int i = 0; i < n; i++) dst[dstOffset + i] = Float.float16ToFloat(src.get(I16, offset + 2L * i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst[dstOffset + i] = bf16ToFloat(src.get(I16, offset + 2L * i));
            }
            case F64 -> {
                for (int i = 0; i < n; i++) dst[dstOffset + i] = (float) src.get(F64, offset + 8L * i);
            }
            default -> {
                if (!type.isQuantized()) throw new IllegalArgumentException(type + " is not a floating-point type");
                org.slim4j.tensor.quant.BlockCodecs.of(type).decode(src, offset, dst, dstOffset, n);
            }
        }
    }

    /** Row {@code row} (last dimension) of a tensor, into dst[0..cols). */
    public static void row(Tensor t, long row, float[] dst) {
        int cols = Math.toIntExact(t.cols());
        decode(t.dtype(), t.data(), row * t.rowBytes(), dst, 0, cols);
    }

    /** The whole tensor as float32 in element order (onto the heap: for reference paths and small tensors). */
    public static float[] toFloats(Tensor t) {
        float[] out = new float[Math.toIntExact(t.elements())];
        if (out.length == 0) return out;
        long rows = t.rows();
        int cols = Math.toIntExact(t.cols());
        long rb = t.rowBytes();
        for (long r = 0; r < rows; r++) decode(t.dtype(), t.data(), r * rb, out, Math.toIntExact(r * cols), cols);
        return out;
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Round-to-nearest-even float32 -> bfloat16, NaN kept quiet (as PyTorch does). */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
