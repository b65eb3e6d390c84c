package org.slim4j.tensor.kernel;

import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;

/**
 * y = x W^T over a range of weight rows, W [out, in] read in place from its MemorySegment (the mapped file), with
 * the kernels of W's type from {@link TypeKernels} and the default {@link EngineOptions}: the entry point for code that
 * holds a bare tensor (tests, benchmarks, the reference path's tiles); engines bind each matrix once instead
 * ({@link BoundMatrix}). One activation row: a fused dequantize-and-dot kernel where the type has one, else a row decoded
 * into the caller's scratch and a float dot. Several activation rows: each tile of {@link #TILE} weight rows is decoded
 * once into scratch and multiplied against every activation row. Single-threaded; callers split rows across threads.
 * Allocates nothing.
 */
public final class MatVec {
    /** Weight rows decoded together in the multi-row path. */
    public static final int TILE = 4;

    private MatVec() {}

    /** Floats of scratch that the row kernels need for a weight with {@code cols} columns. */
    public static int scratchSize(int cols) {
        return TILE * cols;
    }

    /** Checks what the kernels rely on; throws IllegalArgumentException naming the tensor otherwise. */
    public static void check(Tensor w) {
        if (w.shape().length != 2) throw new IllegalArgumentException(w + ": a matrix is needed");
        if (!w.dtype().isFloatLike()) throw new IllegalArgumentException(w + ": " + w.dtype() + " is not a float type");
        if (w.dtype().isQuantized() && w.cols() % w.dtype().blockSize != 0) {
            throw new IllegalArgumentException(w + ": rows of " + w.cols() + " are not whole " + w.dtype() + " blocks of " + w.dtype().blockSize);
        }
        if (w.dtype() == DType.F64) throw new IllegalArgumentException(w + ": F64 weights are not supported by the fast kernels");
    }

    /** Dot product of weight row {@code row} with x[xo, xo + cols). */
    public static float dot(Tensor w, long row, float[] x, int xo, float[] scratch) {
        return TypeKernels.of(w.dtype()).dot(w.data(), row * w.rowBytes(), x, xo, (int) w.cols(), scratch, EngineOptions.defaults().fusedDots());
    }

    /** Dot product of weight row {@code row} with the quantized activations; only for types with an int8 kernel. */
    public static float dot(Tensor w, long row, Q8Act a) {
        return TypeKernels.of(w.dtype()).dot(w.data(), row * w.rowBytes(), a, (int) w.cols());
    }

    /**
     * One activation row: the integer kernels when {@code a} holds x quantized ({@code a.cols() == cols}) and the
     * weight type has one, otherwise the float path on x. y[r] = (or +=) dot(W[r], x).
     */
    public static void rows(Tensor w, int r0, int r1, Q8Act a, float[] x, float[] y, boolean accumulate, float[] scratch) {
        TypeKernels k = TypeKernels.of(w.dtype());
        if (a == null || a.cols() != w.cols() || !k.int8()) {
            rows(w, r0, r1, x, 1, y, (int) w.rows(), accumulate, scratch);
            return;
        }
        BoundMatrix.intRows(w.data(), w.rowBytes(), k, EngineOptions.defaults().twoRows() && k.intDot2 != null, r0, r1, a, (int) w.cols(), y, accumulate);
    }

    /**
     * For weight rows [r0, r1) and activation rows i in [0, n): y[i * yStride + r] = (or += when accumulate)
     * dot(W[r], x[i * cols ..]). scratch: at least {@link #scratchSize}(cols) floats.
     */
    public static void rows(Tensor w, int r0, int r1, float[] x, int n, float[] y, int yStride, boolean accumulate, float[] scratch) {
        BoundMatrix.floatRows(w.data(), w.rowBytes(), TypeKernels.of(w.dtype()), EngineOptions.defaults().fusedDots(), r0, r1, x, n,
                (int) w.cols(), y, yStride, accumulate, scratch);
    }

    /** The whole product on the calling thread: y [n, out] (overwritten). */
    public static void forward(Tensor w, float[] x, int n, float[] y) {
        check(w);
        float[] scratch = new float[scratchSize((int) w.cols())];
        rows(w, 0, (int) w.rows(), x, n, y, (int) w.rows(), false, scratch);
    }
}
