package org.slim4j.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.slim4j.tensor.kernel.WorkerPool;

/**
 * C = epilogue(A W^T) for activations A [n, in] (row-major) and a {@link PanelWeight} W [out, in], in the
 * outer-product form of Goto & van de Geijn ("Anatomy of high-performance matrix multiplication", 2008): a 6 x 16 tile
 * of C lives in 12 AVX2 registers while each step broadcasts one value of 6 rows of A and loads 16 values of W's panel
 * (12 FMAs per 8 loads, no horizontal sums). Rows are taken in blocks of {@link #MC} so the A block stays in L2 while
 * every panel streams past it; the input dimension is cut in chunks of {@link #KC} so a panel chunk (24 KB) stays in
 * L1. Bias, residual and GELU follow on each finished strip while it is in L1.
 * Results equal the plain float loop up to summation order.
 */
public final class PackedGemm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final int W = PanelWeight.WIDTH;
    /**
     * On AVX-512 a panel row is one register, and a 6-row tile takes two panels (6 x 32, 12 accumulators): one
     * thread, 144 x 384 times 384 x 1536, 60 -> 85 GFLOP/s against the 256-bit 6 x 16 tile. Elsewhere the 6 x 16 tile.
     */
    private static final boolean WIDE = FloatKernels.W.vectorBitSize() == 512;
    private static final VectorSpecies<Float> Z = FloatVector.SPECIES_512;
    static final int MC = 72, KC = 384;

    /** What is done to each output value: + bias[col], + residual[row, col], then GELU (residual with GELU is not used). */
    public record Epilogue(float[] bias, boolean gelu, float[] residual) {
        public static final Epilogue NONE = new Epilogue(null, false, null);
    }

    private PackedGemm() {}

    /**
     * The share of worker {@code w} of {@code workers}: whole panels, so workers never write the same cache line. With
     * {@code cTile} (the engine's {@link EngineOptions#cKernels}) the 512-bit tile runs in C ({@link NativeKernels#sgemm2})
     * where the library loaded; the Java tile is its fallback and oracle.
     */
    public static void run(float[] a, int n, PanelWeight wt, Epilogue e, float[] c, int w, int workers, boolean cTile) {
        boolean nativeTiles = cTile && WIDE && NativeKernels.available();
        int p0 = firstColumn(wt.out(), w, workers) / W, p1 = firstColumn(wt.out(), w + 1, workers) / W;
        if (p0 >= p1 || n == 0) return;
        int in = wt.in(), out = wt.out();
        if (a.length < n * in || c.length < n * out) throw new IllegalArgumentException("A " + a.length + " or C " + c.length + " too short for " + n + " x [" + out + ", " + in + "]");
        float[] buf = wt.decodes() ? new float[Math.min(KC, in) * W] : null;
        float[] buf2 = wt.decodes() && WIDE ? new float[Math.min(KC, in) * W] : null;
        int mc = wt.rowBlock();
        for (int r0 = 0, r1; r0 < n; r0 = r1) {
            r1 = (int) Math.min(n, (long) r0 + mc);
            for (int p = p0; p < p1; ) {
                boolean two = WIDE && p + 1 < p1; // two panels side by side in 512-bit registers
                for (int k0 = 0; k0 < in; k0 += KC) {
                    int k1 = Math.min(in, k0 + KC);
                    float[] b = wt.view(p, k0, k1, buf);
                    int bo = wt.base(p, k0);
                    float[] b2 = two ? wt.view(p + 1, k0, k1, buf2) : null;
                    int bo2 = two ? wt.base(p + 1, k0) : 0;
                    boolean first = k0 == 0, last = k1 == in;
                    if (two && nativeTiles) {
                        NativeKernels.sgemm2(a, in, r0, r1, k0, k1, b, bo, b2, bo2, c, out, p * W, first);
                    } else {
                        for (int r = r0; r < r1; ) {
                            int rows = Math.min(6, r1 - r);
                            if (two) {
                                wide6(a, in, r, rows, k0, k1, b, bo, b2, bo2, c, out, p * W, first);
                            } else if (rows > 4) {
                                tile6(a, in, r, rows, k0, k1, b, bo, c, out, p * W, first);
                            } else {
                                rows = Math.min(4, rows);
                                tile4(a, in, r, rows, k0, k1, b, bo, c, out, p * W, first);
                            }
                            r += rows;
                        }
                    }
                    if (last) {
                        epilogue(c, out, r0, r1, p * W, e);
                        if (two) epilogue(c, out, r0, r1, (p + 1) * W, e);
                    }
                }
                p += two ? 2 : 1;
            }
        }
    }

    /** First output column of worker {@code w}'s share in {@link #run}: whole panels (pairs of them on AVX-512). */
    public static int firstColumn(int out, int w, int workers) {
        return WorkerPool.from(out / W, w, workers, WIDE ? 2 : 1) * W;
    }

    /** Whole product on the calling thread, the C tile where the library loaded. */
    public static void run(float[] a, int n, PanelWeight wt, Epilogue e, float[] c) {
        run(a, n, wt, e, c, 0, 1, true);
    }

    /** Up to 6 rows from r times panels b (columns col..col+15) and b2 (the next 16), 512-bit. */
    private static void wide6(float[] a, int lda, int r, int rows, int k0, int k1, float[] b, int bo, float[] b2, int bo2,
                              float[] c, int ldc, int col, boolean first) {
        int a0 = r * lda, a1 = row(r, 1, rows) * lda, a2 = row(r, 2, rows) * lda;
        int a3 = row(r, 3, rows) * lda, a4 = row(r, 4, rows) * lda, a5 = row(r, 5, rows) * lda;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (first) {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = FloatVector.zero(Z);
        } else {
            int o0 = r * ldc + col, o1 = row(r, 1, rows) * ldc + col, o2 = row(r, 2, rows) * ldc + col;
            int o3 = row(r, 3, rows) * ldc + col, o4 = row(r, 4, rows) * ldc + col, o5 = row(r, 5, rows) * ldc + col;
            c00 = FloatVector.fromArray(Z, c, o0); c01 = FloatVector.fromArray(Z, c, o0 + W);
            c10 = FloatVector.fromArray(Z, c, o1); c11 = FloatVector.fromArray(Z, c, o1 + W);
            c20 = FloatVector.fromArray(Z, c, o2); c21 = FloatVector.fromArray(Z, c, o2 + W);
            c30 = FloatVector.fromArray(Z, c, o3); c31 = FloatVector.fromArray(Z, c, o3 + W);
            c40 = FloatVector.fromArray(Z, c, o4); c41 = FloatVector.fromArray(Z, c, o4 + W);
            c50 = FloatVector.fromArray(Z, c, o5); c51 = FloatVector.fromArray(Z, c, o5 + W);
        }
        for (int k = k0, o = bo, o2 = bo2; k < k1; k++, o += W, o2 += W) {
            FloatVector p0 = FloatVector.fromArray(Z, b, o), p1 = FloatVector.fromArray(Z, b2, o2);
            FloatVector x = FloatVector.broadcast(Z, a[a0 + k]);
            c00 = p0.fma(x, c00); c01 = p1.fma(x, c01);
            x = FloatVector.broadcast(Z, a[a1 + k]);
            c10 = p0.fma(x, c10); c11 = p1.fma(x, c11);
            x = FloatVector.broadcast(Z, a[a2 + k]);
            c20 = p0.fma(x, c20); c21 = p1.fma(x, c21);
            x = FloatVector.broadcast(Z, a[a3 + k]);
            c30 = p0.fma(x, c30); c31 = p1.fma(x, c31);
            x = FloatVector.broadcast(Z, a[a4 + k]);
            c40 = p0.fma(x, c40); c41 = p1.fma(x, c41);
            x = FloatVector.broadcast(Z, a[a5 + k]);
            c50 = p0.fma(x, c50); c51 = p1.fma(x, c51);
        }
        wide(c, r * ldc + col, c00, c01);
        if (rows > 1) wide(c, (r + 1) * ldc + col, c10, c11);
        if (rows > 2) wide(c, (r + 2) * ldc + col, c20, c21);
        if (rows > 3) wide(c, (r + 3) * ldc + col, c30, c31);
        if (rows > 4) wide(c, (r + 4) * ldc + col, c40, c41);
        if (rows > 5) wide(c, (r + 5) * ldc + col, c50, c51);
    }

    private static void wide(float[] c, int o, FloatVector v0, FloatVector v1) {
        v0.intoArray(c, o);
        v1.intoArray(c, o + W);
    }

    /** Up to 6 rows from r (rows past the valid ones repeat the last valid row and are not stored). */
    private static void tile6(float[] a, int lda, int r, int rows, int k0, int k1, float[] b, int bo, float[] c, int ldc, int col,
                              boolean first) {
        int a0 = r * lda, a1 = row(r, 1, rows) * lda, a2 = row(r, 2, rows) * lda;
        int a3 = row(r, 3, rows) * lda, a4 = row(r, 4, rows) * lda, a5 = row(r, 5, rows) * lda;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (first) {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = FloatVector.zero(F);
        } else {
            int o0 = r * ldc + col, o1 = row(r, 1, rows) * ldc + col, o2 = row(r, 2, rows) * ldc + col;
            int o3 = row(r, 3, rows) * ldc + col, o4 = row(r, 4, rows) * ldc + col, o5 = row(r, 5, rows) * ldc + col;
            c00 = FloatVector.fromArray(F, c, o0); c01 = FloatVector.fromArray(F, c, o0 + 8);
            c10 = FloatVector.fromArray(F, c, o1); c11 = FloatVector.fromArray(F, c, o1 + 8);
            c20 = FloatVector.fromArray(F, c, o2); c21 = FloatVector.fromArray(F, c, o2 + 8);
            c30 = FloatVector.fromArray(F, c, o3); c31 = FloatVector.fromArray(F, c, o3 + 8);
            c40 = FloatVector.fromArray(F, c, o4); c41 = FloatVector.fromArray(F, c, o4 + 8);
            c50 = FloatVector.fromArray(F, c, o5); c51 = FloatVector.fromArray(F, c, o5 + 8);
        }
        for (int k = k0, o = bo; k < k1; k++, o += W) {
            FloatVector b0 = FloatVector.fromArray(F, b, o), b1 = FloatVector.fromArray(F, b, o + 8);
            FloatVector x = FloatVector.broadcast(F, a[a0 + k]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, a[a1 + k]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, a[a2 + k]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, a[a3 + k]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, a[a4 + k]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, a[a5 + k]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51);
        }
        store(c, r * ldc + col, c00, c01);
        store(c, (r + 1) * ldc + col, c10, c11);
        store(c, (r + 2) * ldc + col, c20, c21);
        store(c, (r + 3) * ldc + col, c30, c31);
        store(c, (r + 4) * ldc + col, c40, c41);
        if (rows == 6) store(c, (r + 5) * ldc + col, c50, c51);
    }

    private static void tile4(float[] a, int lda, int r, int rows, int k0, int k1, float[] b, int bo, float[] c, int ldc, int col,
                              boolean first) {
        int a0 = r * lda, a1 = row(r, 1, rows) * lda, a2 = row(r, 2, rows) * lda, a3 = row(r, 3, rows) * lda;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (first) {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = FloatVector.zero(F);
        } else {
            int o0 = r * ldc + col, o1 = row(r, 1, rows) * ldc + col, o2 = row(r, 2, rows) * ldc + col, o3 = row(r, 3, rows) * ldc + col;
            c00 = FloatVector.fromArray(F, c, o0); c01 = FloatVector.fromArray(F, c, o0 + 8);
            c10 = FloatVector.fromArray(F, c, o1); c11 = FloatVector.fromArray(F, c, o1 + 8);
            c20 = FloatVector.fromArray(F, c, o2); c21 = FloatVector.fromArray(F, c, o2 + 8);
            c30 = FloatVector.fromArray(F, c, o3); c31 = FloatVector.fromArray(F, c, o3 + 8);
        }
        for (int k = k0, o = bo; k < k1; k++, o += W) {
            FloatVector b0 = FloatVector.fromArray(F, b, o), b1 = FloatVector.fromArray(F, b, o + 8);
            FloatVector x = FloatVector.broadcast(F, a[a0 + k]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, a[a1 + k]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, a[a2 + k]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, a[a3 + k]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31);
        }
        store(c, r * ldc + col, c00, c01);
        if (rows > 1) store(c, (r + 1) * ldc + col, c10, c11);
        if (rows > 2) store(c, (r + 2) * ldc + col, c20, c21);
        if (rows > 3) store(c, (r + 3) * ldc + col, c30, c31);
    }

    private static int row(int r, int i, int rows) {
        return r + Math.min(i, rows - 1);
    }

    /**
     * Bias, residual and GELU over a finished 16-column strip while it is still in L1, as a pass of its own: done in
     * the tile's registers they made the tile method too large for C2 (measured: bias + residual 3x slower, GELU 10x).
     */
    private static void epilogue(float[] c, int ldc, int r0, int r1, int col, Epilogue e) {
        if (e.bias == null && e.residual == null && !e.gelu) return;
        if (e.gelu && NativeKernels.available()) { // GELU's exp and division: the C routine (own exp) is ~10x the Vector API's here
            NativeKernels.epilogue(c, ldc, r0, r1, col, PanelWeight.WIDTH, e.bias, e.residual, e.gelu);
            return;
        }
        if (WIDE) { // a strip is one 512-bit vector
            FloatVector b = e.bias != null ? FloatVector.fromArray(Z, e.bias, col) : FloatVector.zero(Z);
            for (int r = r0; r < r1; r++) {
                int o = r * ldc + col;
                FloatVector v = FloatVector.fromArray(Z, c, o).add(b);
                if (e.residual != null) v = v.add(FloatVector.fromArray(Z, e.residual, o));
                if (e.gelu) v = GeluErf.apply(v);
                v.intoArray(c, o);
            }
            return;
        }
        FloatVector b0 = e.bias != null ? FloatVector.fromArray(F, e.bias, col) : FloatVector.zero(F);
        FloatVector b1 = e.bias != null ? FloatVector.fromArray(F, e.bias, col + 8) : FloatVector.zero(F);
        for (int r = r0; r < r1; r++) {
            int o = r * ldc + col;
            FloatVector v0 = FloatVector.fromArray(F, c, o).add(b0), v1 = FloatVector.fromArray(F, c, o + 8).add(b1);
            if (e.residual != null) {
                v0 = v0.add(FloatVector.fromArray(F, e.residual, o));
                v1 = v1.add(FloatVector.fromArray(F, e.residual, o + 8));
            }
            if (e.gelu) {
                v0 = GeluErf.apply(v0);
                v1 = GeluErf.apply(v1);
            }
            v0.intoArray(c, o);
            v1.intoArray(c, o + 8);
        }
    }

    private static void store(float[] c, int o, FloatVector v0, FloatVector v1) {
        v0.intoArray(c, o);
        v1.intoArray(c, o + 8);
    }
}
