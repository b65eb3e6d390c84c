package org.slim4j.tensor.kernel;

import java.util.stream.IntStream;
import org.slim4j.tensor.Tensor;

/**
 * y = x W^T for a batch of n activation rows and a weight W [out, in] of any type, in float32.
 * The reference path: each tile of weight rows is dequantized exactly once and reused for every activation row,
 * tiles are spread over the common ForkJoin pool. Fast type-specific kernels are tested against this. A weight that
 * a loader registered with {@link NativeLinears} runs that kernel instead.
 */
public final class Linear {
    private static final int TILE_ROWS = 16, BATCH = 8;

    private Linear() {}

    /** x: [n, in] row-major; y: [n, out] row-major (overwritten). */
    public static void forward(Tensor w, float[] x, int n, float[] y) {
        NativeLinear k = NativeLinears.find(w);
        if (k != null) {
            k.forward(x, n, y, true); // a layer stored 2:4 or as a factor pair runs its own kernel
            return;
        }
        int out = Math.toIntExact(w.rows());
        int in = Math.toIntExact(w.cols());
        if (w.dtype() == org.slim4j.tensor.DType.F32 && w.data().isNative() && n >= BATCH) {
            // a batch (calibration runs hundreds of tokens a call) on a float32 matrix: the blocked kernel reuses each
            // loaded vector 3 times, where a dot per (row, token) streams the whole batch past every weight row
            MatMulF32.forward(w.data(), out, in, x, n, y, true);
            return;
        }
        int tiles = (out + TILE_ROWS - 1) / TILE_ROWS;
        IntStream.range(0, tiles).parallel().forEach(t -> {
            int r0 = t * TILE_ROWS, r1 = Math.min(out, r0 + TILE_ROWS);
            float[] tile = new float[(r1 - r0) * in];
            FastDequant.decode(w.dtype(), w.data(), r0 * w.rowBytes(), tile, 0, (r1 - r0) * in);
            for (int i = 0; i < n; i++) {
                for (int r = r0; r < r1; r++) {
                    y[i * out + r] = VectorOps.dot(x, i * in, tile, (r - r0) * in, in);
                }
            }
        });
    }

    /** Same as {@link #forward} for a weight already in float32 on the heap, [out, in] row-major. */
    public static void forward(float[] w, int out, int in, float[] x, int n, float[] y) {
        int tiles = (out + TILE_ROWS - 1) / TILE_ROWS;
        IntStream.range(0, tiles).parallel().forEach(t -> {
            int r0 = t * TILE_ROWS, r1 = Math.min(out, r0 + TILE_ROWS);
            for (int i = 0; i < n; i++) {
                for (int r = r0; r < r1; r++) y[i * out + r] = VectorOps.dot(x, i * in, w, r * in, in);
            }
        });
    }
}
