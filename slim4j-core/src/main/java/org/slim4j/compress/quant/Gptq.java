package org.slim4j.compress.quant;

import org.slim4j.tensor.quant.QuantScheme;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.IntStream;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Cholesky;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.HessianInverse;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

// GPTQ: Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers" (arXiv:2210.17323).
/**
 * Quantizes a weight column by column, each time spreading the rounding error over the columns not yet quantized in
 * proportion to the inverse Hessian of the layer's squared output error (H = 2 X^T X / n), so the layer's output on
 * the calibration inputs, not its weights, stays close. Rows are independent given H and run in parallel; within a
 * row, updates are applied lazily in blocks of {@code blockSize} columns (the paper's batching), dampening adds
 * {@code dampening} x mean(diag H) to the diagonal. With act-order (desc_act) the columns go in order of decreasing
 * Hessian diagonal; group grids are then fixed up front on the unpermuted weight (static groups), so every group
 * still covers consecutive input channels and the result stores like any group-quantized weight.
 */
public final class Gptq implements Compressor {
    private final QuantScheme scheme;
    private final double dampening;
    private final int blockSize;
    private final boolean actOrder;
    private final boolean staticGroups;
    private final boolean mseClip;

    public Gptq(QuantScheme scheme, double dampening, int blockSize, boolean actOrder, boolean staticGroups, boolean mseClip) {
        if (blockSize < 1) throw new IllegalArgumentException("block size must be >= 1");
        if (dampening < 0) throw new IllegalArgumentException("dampening must be >= 0");
        this.scheme = scheme;
        this.dampening = dampening;
        this.blockSize = blockSize;
        this.actOrder = actOrder;
        this.staticGroups = staticGroups || actOrder;
        this.mseClip = mseClip;
    }

    /** The defaults of AutoGPTQ/llm-compressor: 1% dampening, blocks of 128, act-order, static groups. */
    public Gptq(QuantScheme scheme) {
        this(scheme, 0.01, 128, true, true, true);
    }

    @Override
    public String name() {
        return "gptq";
    }

    @Override
    public boolean needsGram() {
        return true;
    }

    @Override
    public Compressor dataFree() {
        return new Rtn(scheme, mseClip);
    }

    @Override
    public CompressedLinear compress(LinearWeight weight, InputStats stats) {
        return quantize(weight, stats.hessian());
    }

    /** GPTQ against a given Hessian [cols, cols] (modified). */
    public QuantizedLinear quantize(LinearWeight weight, double[] h) {
        int rows = weight.rows(), cols = weight.cols();
        Factor f = factor(weight.w(), rows, cols, h, actOrder, dampening);
        float[] w0 = f.w();
        boolean perTensor = scheme.groupSize() == QuantScheme.PER_TENSOR;
        int groups = perTensor ? 1 : scheme.groupsPerRow(cols), width = scheme.groupWidth(cols);
        QuantGrid tensorGrid = perTensor ? Rtn.best(w0, 0, w0.length, scheme, mseClip) : null;
        byte[] codes = new byte[rows * cols];
        float[] scales = new float[perTensor ? 1 : rows * groups];
        int[] zeros = new int[scales.length];
        if (perTensor) {
            scales[0] = tensorGrid.scale();
            zeros[0] = tensorGrid.zero();
        }
        pass(rows, cols, f, blockSize, (r, x, at) -> row(w0, cols, r, f.perm(), x, at, tensorGrid, codes, scales, zeros, groups, width));
        return new QuantizedLinear(rows, cols, scheme, codes, scales, zeros, 16, describeMethod());
    }

    /**
     * What GPTQ's pass needs of a layer: the weight with dead inputs zeroed, the column order (act-order: by decreasing
     * Hessian diagonal) and U, the upper Cholesky factor of the damped inverse Hessian in that order.
     */
    public record Factor(float[] w, int[] perm, double[] u) {}

    /**
     * {@link Factor} of w [rows, cols] for the Hessian h, which becomes U: dead inputs get a unit diagonal, its rows and
     * columns are put in pass order and it is factorised in place (an 8192-input layer's Hessian is 537 MB).
     */
    public static Factor factor(float[] w, int rows, int cols, double[] h, boolean actOrder, double dampening) {
        float[] w0 = w.clone();
        for (int j = 0; j < cols; j++) {
            if (h[j * cols + j] == 0) { // a dead input: its weights never matter
                h[j * cols + j] = 1;
                for (int r = 0; r < rows; r++) w0[r * cols + j] = 0;
            }
        }
        Integer[] idx = new Integer[cols];
        for (int i = 0; i < cols; i++) idx[i] = i;
        if (actOrder) Arrays.sort(idx, (a, b) -> Double.compare(h[b * cols + b], h[a * cols + a]));
        int[] perm = Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
        if (actOrder) permuteSymmetric(h, cols, perm);
        return new Factor(w0, perm, HessianInverse.upperCholeskyOfInverse(h, cols, dampening));
    }

    /** h[a, b] becomes h[perm[a], perm[b]], in place: rows moved along perm's cycles, then each row's columns. */
    static void permuteSymmetric(double[] h, int n, int[] perm) {
        double[] t = new double[n];
        boolean[] done = new boolean[n];
        for (int s = 0; s < n; s++) {
            if (done[s]) continue;
            System.arraycopy(h, s * n, t, 0, n);
            int a = s;
            while (perm[a] != s) {
                System.arraycopy(h, perm[a] * n, h, a * n, n);
                done[a] = true;
                a = perm[a];
            }
            System.arraycopy(t, 0, h, a * n, n);
            done[a] = true;
        }
        for (int r = 0; r < n; r++) {
            System.arraycopy(h, r * n, t, 0, n);
            for (int b = 0; b < n; b++) h[r * n + b] = t[perm[b]];
        }
    }

    /** Rounds one value of GPTQ's pass and returns what is stored for it. */
    @FunctionalInterface
    public interface Rounding {
        /**
         * @param j the position in the pass, {@code c} = perm[j] the column; the row's values in pass order as updated so
         *          far are x[at, at + cols) (x[at + j] is the value to round; later positions may be read, e.g. to fit a
         *          group as it starts)
         */
        double round(int j, int c, double[] x, int at);
    }

    /** One row's part of GPTQ's pass: its rounding, and what to keep once every value is rounded. */
    public interface Row extends Rounding {
        default void done() {}
    }

    /** Starts row r: writes its values in pass order to x[at, at + cols) and returns its rounding. */
    @FunctionalInterface
    public interface Rows {
        Row start(int r, double[] x, int at);
    }

    /** Rows a task of the pass takes at once: the lazy updates of all of them are one matrix product. */
    private static final int ROW_TILE = 32;

    /** GPTQ's pass over every row of a layer, tiles of rows in parallel. */
    public static void pass(int rows, int cols, Factor f, int blockSize, Rows start) {
        IntStream.range(0, (rows + ROW_TILE - 1) / ROW_TILE).parallel().forEach(t -> {
            int r0 = t * ROW_TILE, n = Math.min(ROW_TILE, rows - r0);
            double[] x = new double[n * cols];
            Row[] row = new Row[n];
            for (int i = 0; i < n; i++) row[i] = start.start(r0 + i, x, i * cols);
            errorFeedback(x, n, f.u(), cols, blockSize, f.perm(), row);
            for (Row r : row) r.done();
        });
    }

    /**
     * GPTQ's pass over the rows x [n, cols] (in pass order, updated in place): each value rounded in turn and its error,
     * divided by U's diagonal, spread over the later columns through U's row; lazily in batches of {@code blockSize}
     * columns (the paper's batching: exact, and cache-friendly), a batch's update of the columns after it for all n
     * rows at once as one matrix product, X[:, i2:] -= E U[i1:i2, i2:].
     */
    public static void errorFeedback(double[] x, int n, double[] u, int cols, int blockSize, int[] perm, Rounding[] rounding) {
        double[] err = new double[n * blockSize];
        for (int i1 = 0; i1 < cols; i1 += blockSize) {
            int i2 = Math.min(cols, i1 + blockSize), b = i2 - i1;
            for (int r = 0; r < n; r++) {
                int at = r * cols;
                for (int j = i1; j < i2; j++) {
                    double e = (x[at + j] - rounding[r].round(j, perm[j], x, at)) / u[j * cols + j];
                    err[r * b + j - i1] = e;
                    int row = j * cols;
                    for (int k = j + 1; k < i2; k++) x[at + k] -= e * u[row + k];
                }
            }
            if (i2 < cols) Cholesky.gemm(err, 0, b, u, i1 * cols + i2, cols, x, i2, cols, n, cols - i2, b, -1);
        }
    }

    private String describeMethod() {
        return String.format(Locale.ROOT, "gptq%s damp %.3g", actOrder ? " act-order" : "", dampening);
    }

    private Row row(float[] orig, int cols, int r, int[] perm, double[] x, int at, QuantGrid tensorGrid, byte[] codes,
                    float[] scales, int[] zeros, int groups, int width) {
        for (int j = 0; j < cols; j++) x[at + j] = orig[r * cols + perm[j]];
        QuantGrid[] grid = new QuantGrid[groups];
        if (tensorGrid != null) {
            grid[0] = tensorGrid;
        } else if (staticGroups) {
            for (int g = 0; g < groups; g++) grid[g] = Rtn.best(orig, r * cols + g * width, width, scheme, mseClip);
        }
        float[] current = new float[width];
        return new Row() {
            @Override
            public double round(int j, int c, double[] xs, int o) {
                int g = tensorGrid != null ? 0 : c / width;
                if (grid[g] == null || (!staticGroups && tensorGrid == null && c % width == 0)) {
                    // dynamic groups (no act-order, so c == j): the grid of the group's weights as updated so far
                    for (int k = 0; k < width; k++) current[k] = (float) xs[o + j + k];
                    grid[g] = Rtn.best(current, 0, width, scheme, mseClip);
                }
                int q = grid[g].quantize((float) xs[o + j]);
                codes[r * cols + c] = (byte) q;
                return grid[g].dequantize(q);
            }

            @Override
            public void done() {
                if (tensorGrid != null) return;
                for (int g = 0; g < groups; g++) {
                    scales[r * groups + g] = grid[g].scale();
                    zeros[r * groups + g] = grid[g].zero();
                }
            }
        };
    }

    /** The grid this quantizer rounds onto (compositions such as prune-then-quantize reuse it). */
    public QuantScheme scheme() {
        return scheme;
    }

    @Override
    public QuantScheme grid() {
        return scheme;
    }

    @Override
    public boolean feedsErrorBack() {
        return true;
    }
}
