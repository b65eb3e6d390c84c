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

    /**
     * A copy freed only when the garbage collector finds it unreachable: for copies that live as long as a model's
     * tensor. Temporaries take {@link #of(float[], Arena)} with an arena closed at once (shared: the kernels read from the common pool): auto-arena copies of
     * Gram matrices and output matrices (up to 1 GB for a 128k vocabulary) waited for a GC that a large heap rarely ran.
     */
    public static MemorySegment of(float[] values) {
        return of(values, Arena.ofAuto());
    }

    /** A copy in {@code arena}, freed when it is closed. */
    public static MemorySegment of(float[] values, Arena arena) {
        MemorySegment s = arena.allocate(4L * values.length, 64);
        MemorySegment.copy(values, 0, s, Dequant.F32, 0, values.length);
        return s;
    }
}
