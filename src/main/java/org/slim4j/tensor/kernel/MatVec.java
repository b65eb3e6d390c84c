package org.slim4j.tensor.kernel;

import java.lang.foreign.MemorySegment;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;

/**
 * y = x W^T over a range of weight rows, W [out, in] read in place from its MemorySegment (the mapped file).
 * One activation row (decode): a fused dequantize-and-dot kernel per weight type (F32, F16, BF16, Q8_0, Q4_0,
 * Q4_K, Q6_K); other block types (Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q5_K, Q8_K...) decode one row at a time into the
 * caller's scratch and take a float dot, which is exact but slower.
 * Several activation rows (prefill): each tile of {@link #TILE} weight rows is decoded once into scratch and
 * multiplied against every activation row, so weights cross memory once per call.
 * Single-threaded; callers split rows across threads. Allocates nothing.
 */
public final class MatVec {
    /** Weight rows decoded together in the multi-row path. */
    public static final int TILE = 4;

    private MatVec() {}

    /** True when {@code t} has a fused one-row kernel (no decode into scratch). */
    public static boolean fused(DType t) {
        return switch (t) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Floats of scratch that {@link #rows} needs for a weight with {@code cols} columns. */
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
        int cols = (int) w.cols();
        MemorySegment s = w.data();
        long off = row * w.rowBytes();
        return switch (w.dtype()) {
            case F32 -> FloatKernels.f32(s, off, x, xo, cols);
            case F16 -> FloatKernels.f16(s, off, x, xo, cols);
            case BF16 -> FloatKernels.bf16(s, off, x, xo, cols);
            case Q8_0 -> QuantKernels.q8_0(s, off, x, xo, cols);
            case Q4_0 -> QuantKernels.q4_0(s, off, x, xo, cols);
            case Q4_K -> KQuantKernels.q4_k(s, off, x, xo, cols);
            case Q6_K -> Q6_FUSED ? KQuantKernels.q6_k(s, off, x, xo, cols) : fallback(w, s, off, x, xo, cols, scratch);
            default -> fallback(w, s, off, x, xo, cols, scratch);
        };
    }

    /** -Dslim4j.q6k.decode=true routes Q6_K through the row-decode fallback, to compare the two in JMH. */
    private static final boolean Q6_FUSED = !Boolean.getBoolean("slim4j.q6k.decode");

    private static float fallback(Tensor w, MemorySegment s, long off, float[] x, int xo, int cols, float[] scratch) {
        FastDequant.decode(w.dtype(), s, off, scratch, 0, cols);
        return VectorOps.dot(scratch, 0, x, xo, cols);
    }

    /** True when {@code t} has an integer kernel for int8-quantized activations ({@link Q8Act}). */
    public static boolean int8(DType t) {
        return switch (t) {
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Dot product of weight row {@code row} with the quantized activations; only for {@link #int8} types. */
    public static float dot(Tensor w, long row, Q8Act a) {
        int cols = (int) w.cols();
        MemorySegment s = w.data();
        long off = row * w.rowBytes();
        return switch (w.dtype()) {
            case Q8_0 -> IntKernels.q8_0(s, off, a, cols);
            case Q4_0 -> IntKernels.q4_0(s, off, a, cols);
            case Q4_1 -> IntKernels.q4_1(s, off, a, cols);
            case Q5_0 -> IntKernels.q5_0(s, off, a, cols);
            case Q5_1 -> IntKernels.q5_1(s, off, a, cols);
            case Q4_K -> IntKernels.q4_k(s, off, a, cols);
            case Q6_K -> IntKernels.q6_k(s, off, a, cols);
            default -> throw new IllegalArgumentException(w + ": no int8-activation kernel for " + w.dtype());
        };
    }

    /**
     * One activation row: the integer kernels when {@code a} holds x quantized ({@code a.cols() == cols}) and the
     * weight type has one, otherwise the float path on x. y[r] = (or +=) dot(W[r], x).
     */
    public static void rows(Tensor w, int r0, int r1, Q8Act a, float[] x, float[] y, boolean accumulate, float[] scratch) {
        if (a == null || a.cols() != w.cols() || !int8(w.dtype())) {
            rows(w, r0, r1, x, 1, y, (int) w.rows(), accumulate, scratch);
            return;
        }
        int r = r0;
        DType t = w.dtype();
        if (TWO_ROWS && t == DType.Q4_0) {
            MemorySegment s = w.data();
            long rb = w.rowBytes();
            int cols = (int) w.cols();
            for (; r + 2 <= r1; r += 2) {
                IntKernels.q4_0x2(s, r * rb, rb, a, cols, y, r, accumulate);
            }
        }
        for (; r < r1; r++) {
            float v = dot(w, r, a);
            y[r] = accumulate ? y[r] + v : v;
        }
    }

    /** -Dslim4j.rows2=false keeps Q4_0 on the one-row integer kernel, to compare the two in the same build. */
    private static final boolean TWO_ROWS = !"false".equals(System.getProperty("slim4j.rows2"));

    /**
     * For weight rows [r0, r1) and activation rows i in [0, n): y[i * yStride + r] = (or += when accumulate)
     * dot(W[r], x[i * cols ..]). scratch: at least {@link #scratchSize}(cols) floats.
     */
    public static void rows(Tensor w, int r0, int r1, float[] x, int n, float[] y, int yStride, boolean accumulate, float[] scratch) {
        int cols = (int) w.cols();
        if (n == 1) {
            for (int r = r0; r < r1; r++) {
                float v = dot(w, r, x, 0, scratch);
                y[r] = accumulate ? y[r] + v : v;
            }
            return;
        }
        long rb = w.rowBytes();
        for (int t = r0; t < r1; t += TILE) {
            int rows = Math.min(TILE, r1 - t);
            FastDequant.decode(w.dtype(), w.data(), t * rb, scratch, 0, rows * cols);
            if (rows == TILE) {
                Gemm.tile4(scratch, cols, x, n, y, yStride, t, accumulate);
            } else {
                for (int i = 0; i < n; i++) {
                    for (int r = 0; r < rows; r++) {
                        float v = VectorOps.dot(scratch, r * cols, x, i * cols, cols);
                        int yi = i * yStride + t + r;
                        y[yi] = accumulate ? y[yi] + v : v;
                    }
                }
            }
        }
    }

    /** The whole product on the calling thread: y [n, out] (overwritten). */
    public static void forward(Tensor w, float[] x, int n, float[] y) {
        check(w);
        float[] scratch = new float[scratchSize((int) w.cols())];
        rows(w, 0, (int) w.rows(), x, n, y, (int) w.rows(), false, scratch);
    }
}
