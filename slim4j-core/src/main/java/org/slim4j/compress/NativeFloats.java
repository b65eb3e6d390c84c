package org.slim4j.compress;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.slim4j.tensor.Dequant;

/**
 * Floats copied into a native, 64-byte aligned segment: the float32 matrix kernel reads native segments at full
 * vector speed, while a heap float[] segment took its slow path (calibration ran minutes instead of seconds).
 */
public final class NativeFloats {
    private NativeFloats() {}

    public static MemorySegment of(float[] values) {
        MemorySegment s = Arena.ofAuto().allocate(4L * values.length, 64);
        MemorySegment.copy(values, 0, s, Dequant.F32, 0, values.length);
        return s;
    }
}
