package org.slim4j.compress.calib;

import java.lang.foreign.MemorySegment;
import org.slim4j.compress.LinearWeight;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/** Moving weights between a model's tensors (any dtype, often mapped) and the heap float32 the methods work on. */
final class HeapTensors {
    private HeapTensors() {}

    static LinearWeight read(Tensor t) {
        return new LinearWeight(t.name(), (int) t.rows(), (int) t.cols(), Dequant.toFloats(t));
    }

    /** A float32 tensor in a native segment (copied: the kernels are fast on native memory) with t's name and shape: the model's kernels read it like a mapped one. */
    static Tensor f32(Tensor like, float[] values) {
        return f32(like, values, java.lang.foreign.Arena.ofAuto());
    }

    /** As {@link #f32(Tensor, float[])}, the copy in {@code arena}. */
    static Tensor f32(Tensor like, float[] values, java.lang.foreign.Arena arena) {
        if (values.length != like.elements()) throw new IllegalArgumentException(like + ": " + values.length + " values");
        return new Tensor(like.name(), DType.F32, like.shape().clone(), org.slim4j.compress.NativeFloats.of(values, arena));
    }
}
