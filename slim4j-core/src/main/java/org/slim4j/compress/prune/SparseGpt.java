package org.slim4j.compress.prune;

import java.util.stream.IntStream;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.HessianInverse;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;
import org.slim4j.compress.quant.QuantGrid;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.QuantizedLinear;

/**
 * SparseGPT (Frantar & Alistarh 2023, "SparseGPT: Massive Language Models Can Be Accurately Pruned in One-Shot"):
 * one left-to-right pass over the columns in blocks of 128; the mask of each block is chosen by the OBS saliency
 * w^2 / [H^-1]_jj^2 (unstructured: over the whole block; N:M: per row, every M columns), and each pruned weight's
 * error is pushed onto the not-yet-visited columns through the Cholesky factor of H^-1. Optionally quantizes the
 * kept weights in the same pass (the paper's joint sparsify + quantize mode, GPTQ-style grids per group), which is
 * how a sparse + quantized layer keeps its mask: a separate quantization pass would refill the pruned weights.
 */
public final class SparseGpt implements Compressor {
    public static final int BLOCK = 128;
    private final SparsityPattern pattern;
    private final double damp;
    private final QuantScheme quant;

    public SparseGpt(SparsityPattern pattern) {
        this(pattern, 0.01, null);
    }

    /** @param quant the grid to quantize kept weights onto in the same pass, or null for fp16 values */
    public SparseGpt(SparsityPattern pattern, double damp, QuantScheme quant) {
        this.pattern = pattern;
        this.damp = damp;
        this.quant = quant;
        if (quant != null && quant.groupSize() == QuantScheme.PER_TENSOR) throw new IllegalArgumentException("per-tensor grids are not supported in the joint pass");
    }

    @Override
    public boolean prunes() {
        return true;
    }

    @Override
    public String name() {
        return quant == null ? "sparsegpt" : "sparsegpt+" + quant;
    }

    @Override
    public boolean needsGram() {
        return true;
    }

    @Override
    public CompressedLinear compress(LinearWeight lw, InputStats stats) {
        if (stats == null || !stats.hasGram()) throw new IllegalArgumentException("SparseGPT needs the Gram matrix of " + lw.name() + "'s inputs");
        return prune(lw, stats.hessian());
    }

    /** The pass itself, on an explicit Hessian [cols, cols] (tests pass the identity). */
    public CompressedLinear prune(LinearWeight lw, double[] hessian) {
        return prune(lw, hessian, null);
    }

    /**
     * With {@code fixedKeep}, the mask is given (another pruner chose it) and only the OBS updates and the optional
     * quantization run: with a scheme, this is GPTQ that keeps a sparsity mask (pruned weights have no error to
     * spread and stay exactly zero).
     */
    public CompressedLinear prune(LinearWeight lw, double[] hessian, boolean[] fixedKeep) {
        int rows = lw.rows(), cols = lw.cols();
        if (pattern.isNm() && BLOCK % pattern.m() != 0) throw new IllegalArgumentException("M must divide " + BLOCK);
        boolean[] dead = HessianInverse.dead(hessian, cols);
        double[] u = HessianInverse.upperCholeskyOfInverse(hessian, cols, damp);
        double[] w = new double[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = dead[i % cols] ? 0 : lw.w()[i];
        boolean[] keep = fixedKeep != null ? fixedKeep.clone() : new boolean[rows * cols];
        if (fixedKeep == null) java.util.Arrays.fill(keep, true);
        int groups = quant == null ? 0 : quant.groupsPerRow(cols);
        int gw = quant == null ? 0 : quant.groupWidth(cols);
        float[] scales = new float[rows * Math.max(1, groups)];
        int[] zeros = new int[scales.length];
        byte[] codes = quant == null ? null : new byte[rows * cols];
        for (int i1 = 0; i1 < cols; i1 += BLOCK) {
            int i2 = Math.min(cols, i1 + BLOCK), b = i2 - i1;
            if (!pattern.isNm() && fixedKeep == null) {
                double[] score = new double[rows * cols];
                for (int r = 0; r < rows; r++) for (int c = i1; c < i2; c++) score[r * cols + c] = saliency(w[r * cols + c], u[c * cols + c]);
                Masks.pruneSmallest(score, keep, Masks.columns(rows, cols, i1, i2), pattern.sparsity());
            }
            final int from = i1;
            IntStream.range(0, rows).parallel().forEach(r -> {
                int row = r * cols;
                double[] err = new double[b];
                QuantGrid grid = null;
                for (int c = from; c < i2; c++) {
                    if (fixedKeep == null && pattern.isNm() && (c - from) % pattern.m() == 0) selectNm(w, u, keep, row, c, cols);
                    if (quant != null && c % gw == 0) {
                        grid = fitGroup(w, keep, row + c, Math.min(gw, cols - c), quant);
                        scales[r * groups + c / gw] = grid.scale();
                        zeros[r * groups + c / gw] = grid.zero();
                    }
                    double x = w[row + c], q = 0;
                    if (keep[row + c]) {
                        if (grid == null) q = x;
                        else {
                            int code = grid.quantize((float) x);
                            codes[row + c] = (byte) code;
                            q = grid.dequantize(code);
                        }
                    } else if (grid != null) {
                        codes[row + c] = (byte) grid.zero();
                    }
                    double e = (x - q) / u[c * cols + c];
                    for (int j = c; j < i2; j++) w[row + j] -= e * u[c * cols + j];
                    w[row + c] = q;
                    err[c - from] = e;
                }
                for (int t = 0; t < b; t++) {
                    double e = err[t];
                    if (e == 0) continue;
                    int urow = (from + t) * cols;
                    for (int j = i2; j < cols; j++) w[row + j] -= e * u[urow + j];
                }
            });
        }
        float[] out = new float[w.length];
        for (int i = 0; i < w.length; i++) out[i] = keep[i] ? (float) w[i] : 0f;
        SparseLinear sparse = SparseLinear.of(rows, cols, keep, out, pattern, name());
        if (quant == null) return sparse;
        return new SparseQuantizedLinear(sparse, new QuantizedLinear(rows, cols, quant, codes, scales, zeros, 16, name()));
    }

    private static double saliency(double w, double uDiag) {
        return w * w / (uDiag * uDiag);
    }

    /** N:M for one row's M columns starting at c: the N most salient stay. */
    private void selectNm(double[] w, double[] u, boolean[] keep, int row, int c, int cols) {
        int m = pattern.m();
        double[] s = new double[m];
        for (int i = 0; i < m; i++) s[i] = saliency(w[row + c + i], u[(c + i) * cols + c + i]);
        boolean[] k = Masks.nm(s, 1, m, pattern.n(), m);
        for (int i = 0; i < m; i++) keep[row + c + i] = k[i];
    }

    /** The grid of a group fitted to its kept, already-updated weights (pruned ones count as 0, which is on every grid). */
    private static QuantGrid fitGroup(double[] w, boolean[] keep, int from, int n, QuantScheme s) {
        float min = 0, max = 0;
        for (int i = from; i < from + n; i++) {
            if (!keep[i]) continue;
            min = Math.min(min, (float) w[i]);
            max = Math.max(max, (float) w[i]);
        }
        return QuantGrid.fit(min, max, s);
    }
}
