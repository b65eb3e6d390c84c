package org.slim4j.tensor.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.slim4j.tensor.Tensor;

/**
 * A weight matrix W [out, in] with its kernels chosen once, at load ({@link TypeKernels} and the engine's options):
 * decode steps call {@link #rows(int, int, Q8Act, float[], float[], boolean, float[])}, prompt batches take
 * {@link #panels()}, a tied embedding reads {@link #decodeRow}. Where the type is re-laid at load, the interleaved copy
 * serves all three and the file's pages may have been released.
 */
public final class BoundMatrix {
    private final Tensor w;
    private final TypeKernels k;
    private final InterleavedRows interleaved;
    private final TensorPanels panels;
    private final boolean twoRows, fused;
    private final MethodHandle cInt, cFloat; // the C kernels of the type, when on and present
    private final int cols;
    private final long rowBytes;

    private BoundMatrix(Tensor w, InterleavedRows interleaved, EngineOptions o) {
        MatVec.check(w);
        this.w = w;
        this.k = TypeKernels.of(w.dtype());
        this.interleaved = interleaved;
        this.panels = !o.gemmPrefill() ? null : interleaved != null ? TensorPanels.of(interleaved) : TensorPanels.of(w);
        this.twoRows = o.twoRows() && k.intDot2 != null;
        this.fused = o.fusedDots();
        this.cInt = o.cKernels() ? NativeKernels.intKernel(w.dtype()) : null;
        this.cFloat = o.cKernels() ? NativeKernels.floatKernel(w.dtype()) : null;
        this.cols = Math.toIntExact(w.cols());
        this.rowBytes = w.rowBytes();
    }

    /** {@code w} in its file's layout. */
    public static BoundMatrix of(Tensor w, EngineOptions o) {
        return new BoundMatrix(w, null, o);
    }

    /** True when the type's int8 kernel for this matrix is the C one (it then serves prompt batches too). */
    public boolean nativeInt() {
        return cInt != null;
    }

    /** True when decode steps can take int8 activations for this matrix (a C or a Java integer kernel). */
    public boolean int8() {
        return k.int8();
    }

    /** True when the re-laid copy would serve this matrix: a type re-laid for the Java kernel and no C kernel for it. */
    public static boolean relaid(Tensor w, EngineOptions o) {
        return InterleavedRows.supports(w) && !(o.cKernels() && NativeKernels.intKernel(w.dtype()) != null);
    }

    /** {@code w} with its re-laid copy (null: the file's layout), made by {@link InterleavedRows#of}. */
    public static BoundMatrix of(Tensor w, InterleavedRows copy, EngineOptions o) {
        if (copy != null && copy.source() != w) throw new IllegalArgumentException(copy.source() + " is not " + w);
        return new BoundMatrix(w, copy, o);
    }

    public Tensor tensor() {
        return w;
    }

    public int rows() {
        return Math.toIntExact(w.rows());
    }

    public int cols() {
        return cols;
    }

    /** True when the decode kernel reads a re-laid copy (work is then shared out in whole {@link InterleavedRows#ROWS}-row groups). */
    public boolean interleaved() {
        return interleaved != null;
    }

    /** GEMM panels for prompt batches, or null when prompts take {@link #rows(int, int, float[], int, float[], int, boolean, float[])}. */
    public TensorPanels panels() {
        return panels;
    }

    /**
     * One activation row: y[r] = (or += when accumulate) dot(W[r], x) for r in [r0, r1), on the int8 activations
     * {@code a} when given (its columns match) and the type has an integer kernel, else on x in float32.
     */
    public void rows(int r0, int r1, Q8Act a, float[] x, float[] y, boolean accumulate, float[] scratch) {
        if (a == null || a.cols() != cols || !k.int8()) {
            rows(r0, r1, x, 1, y, rows(), accumulate, scratch);
        } else if (cInt != null) {
            NativeKernels.intRows(cInt, w.data(), rowBytes, r0, r1, a, 1, y, rows(), accumulate);
        } else if (interleaved != null) {
            interleaved.rows(r0, r1, a, x, y, accumulate, scratch);
        } else {
            intRows(w.data(), rowBytes, k, twoRows, r0, r1, a, cols, y, accumulate);
        }
    }

    /** y[i * yStride + r] = (or +=) dot(W[r], x[i * cols ..]) for rows [r0, r1) and n activation rows, float32. */
    public void rows(int r0, int r1, float[] x, int n, float[] y, int yStride, boolean accumulate, float[] scratch) {
        if (cFloat != null) NativeKernels.floatRows(cFloat, w.data(), rowBytes, r0, r1, x, cols, n, y, yStride, accumulate);
        else floatRows(w.data(), rowBytes, k, fused, r0, r1, x, n, cols, y, yStride, accumulate, scratch);
    }

    /**
     * Several activation rows on int8 ({@code a} holds n rows quantized): y[i * yStride + r] = (or +=) dot(W[r], x_i)
     * for rows [r0, r1). Only for matrices whose int8 kernel is the C one ({@link #nativeInt}).
     */
    public void rows(int r0, int r1, Q8Act a, int n, float[] y, int yStride, boolean accumulate) {
        if (cInt == null) throw new IllegalStateException(w + ": batched int8 products need the C kernels");
        NativeKernels.intRows(cInt, w.data(), rowBytes, r0, r1, a, n, y, yStride, accumulate);
    }

    /** Row {@code r} decoded into dst[o, o + cols) (a tied embedding's lookup), from the copy when there is one. */
    public void decodeRow(int r, float[] dst, int o) {
        if (interleaved != null) interleaved.decodeRow(r, dst, o);
        else k.decode(w.data(), r * rowBytes, dst, o, cols);
    }

    static void intRows(MemorySegment s, long rb, TypeKernels k, boolean twoRows, int r0, int r1, Q8Act a, int cols, float[] y, boolean acc) {
        int r = r0;
        if (twoRows) {
            for (; r + 2 <= r1; r += 2) k.intDot2.dot(s, r * rb, rb, a, cols, y, r, acc);
        }
        for (; r < r1; r++) {
            float v = k.intDot.dot(s, r * rb, a, cols);
            y[r] = acc ? y[r] + v : v;
        }
    }

    static void floatRows(MemorySegment s, long rb, TypeKernels k, boolean fused, int r0, int r1, float[] x, int n, int cols,
                          float[] y, int yStride, boolean acc, float[] scratch) {
        if (n == 1) {
            for (int r = r0; r < r1; r++) {
                float v = k.dot(s, r * rb, x, 0, cols, scratch, fused);
                y[r] = acc ? y[r] + v : v;
            }
            return;
        }
        for (int t = r0; t < r1; t += MatVec.TILE) {
            int rows = Math.min(MatVec.TILE, r1 - t);
            k.decode(s, t * rb, scratch, 0, rows * cols);
            if (rows == MatVec.TILE) {
                Gemm.tile4(scratch, cols, x, n, y, yStride, t, acc);
            } else {
                for (int i = 0; i < n; i++) {
                    for (int r = 0; r < rows; r++) {
                        float v = VectorOps.dot(scratch, r * cols, x, i * cols, cols);
                        int yi = i * yStride + t + r;
                        y[yi] = acc ? y[yi] + v : v;
                    }
                }
            }
        }
    }
}
