package org.slim4j.tensor.kernel;

import java.lang.foreign.MemorySegment;

/**
 * W = A B with A [rows, rank] and B [rank, cols] (a truncated-SVD / ASVD factorisation, Yuan et al. 2023), run as
 * two products, y = (x B^T) A^T: (rows + cols) * rank multiply-adds per input row instead of rows * cols. Both
 * steps are {@link MatMulF32}, so this only pays off when rank < rows * cols / (rows + cols).
 */
public final class FactorPair implements NativeLinear {
    private final int rows, cols, rank;
    private final MemorySegment a, b;

    /** a [rows, rank], b [rank, cols], row-major float32 (kept, not copied). */
    public FactorPair(int rows, int cols, int rank, float[] a, float[] b) {
        if (a.length != rows * rank || b.length != rank * cols) throw new IllegalArgumentException("factor sizes do not match " + rows + " x " + rank + " x " + cols);
        this.rows = rows;
        this.cols = cols;
        this.rank = rank;
        this.a = MemorySegment.ofArray(a);
        this.b = MemorySegment.ofArray(b);
    }

    /** A B [rows, cols], summed in one fixed order (rows in parallel, rank index ascending), so every caller gets the same floats. */
    public static float[] product(int rows, int cols, int rank, float[] a, float[] b) {
        float[] w = new float[rows * cols];
        java.util.stream.IntStream.range(0, rows).parallel().forEach(r -> {
            for (int k = 0; k < rank; k++) {
                float x = a[r * rank + k];
                if (x == 0) continue;
                for (int c = 0; c < cols; c++) w[r * cols + c] += x * b[k * cols + c];
            }
        });
        return w;
    }

    @Override
    public void forward(float[] x, int n, float[] y, boolean parallel) {
        float[] t = new float[n * rank];
        MatMulF32.forward(b, rank, cols, x, n, t, parallel);
        MatMulF32.forward(a, rows, rank, t, n, y, parallel);
    }

    public int rank() {
        return rank;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public long bytes() {
        return 4L * (rows + cols) * rank;
    }

    @Override
    public String kind() {
        return "rank " + rank;
    }
}
