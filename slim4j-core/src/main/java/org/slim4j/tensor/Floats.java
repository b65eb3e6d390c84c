package org.slim4j.tensor;

import java.lang.foreign.MemorySegment;

/** Float32 values encoded as a plain float type, for writers: F32, or F16/BF16 rounded to nearest even. */
public final class Floats {
    private Floats() {}

    public static MemorySegment encode(float[] values, DType type) {
        return switch (type) {
            case F32 -> {
                MemorySegment s = MemorySegment.ofArray(new byte[values.length * 4]);
                MemorySegment.copy(values, 0, s, Dequant.F32, 0, values.length);
                yield s;
            }
            case F16, BF16 -> {
                MemorySegment s = MemorySegment.ofArray(new byte[values.length * 2]);
                for (int i = 0; i < values.length; i++) {
                    short h = type == DType.F16 ? Float.floatToFloat16(values[i]) : Dequant.floatToBf16(values[i]);
                    s.set(Dequant.I16, 2L * i, h);
                }
                yield s;
            }
            default -> throw new IllegalArgumentException("float values can be written as F32, F16 or BF16, not " + type);
        };
    }
}
