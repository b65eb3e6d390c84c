package org.slim4j.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named tensor whose bytes live in a MemorySegment (usually a slice of a memory-mapped file).
 * {@code shape} is in row-major order, outermost first, last dimension contiguous (numpy/PyTorch order):
 * a linear layer's weight is [out, in]. GGUF lists ne[0] (the fastest dimension) first, so its loader
 * reverses the dimensions; the bytes are the same. Quantization blocks run along the last dimension.
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {

    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Size of the last (contiguous) dimension; 1 for a scalar. */
    public long cols() {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    /** Product of every dimension but the last. */
    public long rows() {
        return cols() == 0 ? 0 : elements() / cols();
    }

    public long rowBytes() {
        return dtype.bytesFor(cols());
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + shapeString();
    }
}
