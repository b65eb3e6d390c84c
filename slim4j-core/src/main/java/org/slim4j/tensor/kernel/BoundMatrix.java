package org.slim4j.tensor.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.slim4j.tensor.Tensor;

/**
 * A weight matrix W [out, in] with its kernels chosen once, at load ({@link TypeKernels} and the engine's options):
 * decode steps call {@link #rows(int, int, Q8Act, float[], float[], boolean, float[])}, prompt batches take
 * {@link #panels()} or {@link #rows(int, int, Q8Act, int, float[], int, boolean)}, a tied embedding reads
 * {@link #decodeRow}. Where the type is re-laid at load (32 rows interleaved for the Java kernel, 16 for the C ones),
 * the re-laid copy serves them all.
 */
public final class BoundMatrix {
    private final Tensor w;
    private final TypeKernels k;
    private final InterleavedRows interleaved;
    private final TensorPanels panels;
    private final boolean twoRows, fused;
    private final MethodHandle cInt, cFloat; // the C kernels of the type, when on and present
    private final MemorySegment x16; // the 16-row re-laid form the C kernels read, or null
    private final int cols;
    private final long rowBytes;

    private BoundMatrix(Tensor w, InterleavedRows interleaved, MemorySegment x16, EngineOptions o) {
        MatVec.check(w);
        this.w = w;
        this.k = TypeKernels.of(w.dtype());
        this.interleaved = interleaved;
        this.x16 = x16;
        this.panels = !o.gemmPrefill() || x16 != null ? null : interleaved != null ? TensorPanels.of(interleaved) : TensorPanels.of(w);
        this.twoRows = o.twoRows() && k.intDot2 != null;
        this.fused = o.fusedDots();
        this.cInt = o.cKernels() ? NativeKernels.intKernel(w.dtype()) : null;
        this.cFloat = o.cKernels() ? NativeKernels.floatKernel(w.dtype()) : null;
        this.cols = Math.toIntExact(w.cols());
        this.rowBytes = w.rowBytes();
    }

    /** {@code w} in its file's layout. */
    public static BoundMatrix of(Tensor w, EngineOptions o) {
        return new BoundMatrix(w, null, null, o);
    }

    /**
     * True when {@code w} is re-laid with 16 rows interleaved for the C kernels: they serve its type, its rows are
     * whole groups of 16, and the engine runs them on int8 activations.
     */
    public static boolean x16(Tensor w, EngineOptions o) {
        return o.act8() && o.cKernels() && NativeKernels.x16(w.dtype()) && w.shape().length == 2 && w.rows() % NativeKernels.X16 == 0
                && w.rows() > 0 && w.cols() % w.dtype().blockSize == 0;
    }

    /**
     * {@code w} re-laid for the C kernels in {@code arena}: the file's bytes are read 1024 rows at a time into a
     * bounce buffer (their pages released as they go, so a fault from a truncated file surfaces in the copy as the
     * JVM's InternalError, not inside C) and re-laid from there.
     */
    public static BoundMatrix x16(Tensor w, Arena arena, EngineOptions o) {
        if (!x16(w, o)) throw new IllegalArgumentException(w + " is not re-laid for the C kernels");
        int rows = Math.toIntExact(w.rows()), cols = Math.toIntExact(w.cols());
        long rb = w.rowBytes();
        MemorySegment dst = arena.allocate(NativeKernels.x16Bytes(w.dtype(), rows, cols), 64);
        int chunk = 1024; // rows per step: whole groups of 16
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment bounce = scratch.allocate(Math.min(rows, chunk) * rb, 64);
            long perGroup = NativeKernels.x16Bytes(w.dtype(), NativeKernels.X16, cols);
            for (int r = 0; r < rows; r += chunk) {
                int n = Math.min(chunk, rows - r);
                MemorySegment part = bounce.asSlice(0, n * rb);
                org.slim4j.util.MappedPages.copyReleasing(w.data().asSlice(r * rb, n * rb), part);
                NativeKernels.x16Pack(w.dtype(), part, rb, n, cols, dst.asSlice(r / NativeKernels.X16 * perGroup));
            }
        }
        return new BoundMatrix(w, null, dst, o);
    }

    /** True when the type's int8 kernel for this matrix is the C one (it then serves prompt batches too). */
    public boolean nativeInt() {
        return cInt != null || x16 != null;
    }

    /** True when decode steps can take int8 activations for this matrix (a C or a Java integer kernel). */
    public boolean int8() {
        return k.int8() || nativeInt();
    }

    /** True when the re-laid copy would serve this matrix: a type re-laid for the Java kernel and no C kernel for it. */
    public static boolean relaid(Tensor w, EngineOptions o) {
        return InterleavedRows.supports(w) && !(o.cKernels() && NativeKernels.intKernel(w.dtype()) != null);
    }

    /** {@code w} with its re-laid copy (null: the file's layout), made by {@link InterleavedRows#of}. */
    public static BoundMatrix of(Tensor w, InterleavedRows copy, EngineOptions o) {
        if (copy != null && copy.source() != w) throw new IllegalArgumentException(copy.source() + " is not " + w);
        return new BoundMatrix(w, copy, null, o);
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

    /**
     * True when the decode kernel reads a re-laid copy: work is then shared out in whole {@link InterleavedRows#ROWS}-row
     * groups (a multiple of the C layout's 16).
     */
    public boolean interleaved() {
        return interleaved != null || x16 != null;
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
        if (a == null || a.cols() != cols || !int8()) {
            rows(r0, r1, x, 1, y, rows(), accumulate, scratch);
        } else if (x16 != null) {
            x16Rows(r0, r1, a, 1, y, rows(), accumulate);
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
        if (x16 != null) { // only float activations that cannot be quantized (not whole 32-blocks) come here: rows decoded
            for (int r = r0; r < r1; r++) {
                decodeRow(r, scratch, 0);
                for (int i = 0; i < n; i++) {
                    float v = VectorOps.dot(scratch, 0, x, i * cols, cols);
                    int yi = i * yStride + r;
                    y[yi] = accumulate ? y[yi] + v : v;
                }
            }
        } else if (cFloat != null) NativeKernels.floatRows(cFloat, w.data(), rowBytes, r0, r1, x, cols, n, y, yStride, accumulate);
        else floatRows(w.data(), rowBytes, k, fused, r0, r1, x, n, cols, y, yStride, accumulate, scratch);
    }

    /**
     * Several activation rows on int8 ({@code a} holds n rows quantized): y[i * yStride + r] = (or +=) dot(W[r], x_i)
     * for rows [r0, r1). Only for matrices whose int8 kernel is the C one ({@link #nativeInt}).
     */
    public void rows(int r0, int r1, Q8Act a, int n, float[] y, int yStride, boolean accumulate) {
        if (x16 != null) x16Rows(r0, r1, a, n, y, yStride, accumulate);
        else if (cInt != null) NativeKernels.intRows(cInt, w.data(), rowBytes, r0, r1, a, n, y, yStride, accumulate);
        else throw new IllegalStateException(w + ": batched int8 products need the C kernels");
    }

    /** The C kernel on the 16-row re-laid copy; a range must start and end on whole groups (callers share in 32s). */
    private void x16Rows(int r0, int r1, Q8Act a, int n, float[] y, int yStride, boolean accumulate) {
        int g = NativeKernels.X16;
        if (r0 % g != 0 || r1 % g != 0) throw new IllegalArgumentException("rows [" + r0 + ", " + r1 + ") of " + w + " are not whole groups of " + g);
        if (r0 < r1) NativeKernels.x16Rows(w.dtype(), x16, r0 / g, r1 / g, a, n, y, yStride, accumulate);
    }

    /** Row {@code r} decoded into dst[o, o + cols) (a tied embedding's lookup), from the copy when there is one. */
    public void decodeRow(int r, float[] dst, int o) {
        if (x16 != null) NativeKernels.x16Row(w.dtype(), x16, cols, r, dst, o);
        else if (interleaved != null) interleaved.decodeRow(r, dst, o);
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
