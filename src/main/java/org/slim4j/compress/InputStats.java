package org.slim4j.compress;

import java.util.stream.IntStream;

/**
 * What the calibration-aware methods need to know about a linear layer's inputs X [samples, cols], accumulated over
 * the calibration set: the Gram matrix X^T X (GPTQ's and SparseGPT's Hessian H = 2 X^T X / n, ASVD/SVD-LLM's
 * whitening), per-channel sums of squares (Wanda's ||X_j||_2) and of absolute values (AWQ's mean |x|).
 * Accumulated in double precision; the Gram matrix only when a method asks for it (it is cols^2).
 */
public final class InputStats {
    private final int cols;
    private final double[] gram;
    private final double[] sumSq;
    private final double[] sumAbs;
    private long samples;

    public InputStats(int cols, boolean withGram) {
        this.cols = cols;
        this.gram = withGram ? new double[cols * cols] : null;
        this.sumSq = new double[cols];
        this.sumAbs = new double[cols];
    }

    /** Adds n input rows x[n, cols]. */
    public synchronized void add(float[] x, int n) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < cols; j++) {
                double v = x[i * cols + j];
                sumSq[j] += v * v;
                sumAbs[j] += Math.abs(v);
            }
        }
        if (gram != null) {
            // upper triangle of X^T X, rows of the Gram matrix in parallel; mirrored in gram()
            IntStream.range(0, cols).parallel().forEach(a -> {
                int base = a * cols;
                for (int i = 0; i < n; i++) {
                    double xa = x[i * cols + a];
                    if (xa == 0) continue;
                    int row = i * cols;
                    for (int b = a; b < cols; b++) gram[base + b] += xa * x[row + b];
                }
            });
        }
        samples += n;
    }

    public int cols() {
        return cols;
    }

    public long samples() {
        return samples;
    }

    public boolean hasGram() {
        return gram != null;
    }

    /** X^T X [cols, cols], symmetric, summed over every sample (not normalised). */
    public double[] gram() {
        if (gram == null) throw new IllegalStateException("these statistics were collected without the Gram matrix");
        double[] g = gram.clone();
        for (int a = 0; a < cols; a++) for (int b = a + 1; b < cols; b++) g[b * cols + a] = g[a * cols + b];
        return g;
    }

    /** GPTQ's Hessian of the layer-wise squared error: 2 X^T X / n. */
    public double[] hessian() {
        double[] h = gram();
        double f = 2.0 / Math.max(1, samples);
        for (int i = 0; i < h.length; i++) h[i] *= f;
        return h;
    }

    /** ||X_j||_2 over all samples, per input channel (Wanda). */
    public double[] channelNorms() {
        double[] r = new double[cols];
        for (int j = 0; j < cols; j++) r[j] = Math.sqrt(sumSq[j]);
        return r;
    }

    /** mean |x_j| per input channel (AWQ's activation scale). */
    public double[] meanAbs() {
        double[] r = new double[cols];
        for (int j = 0; j < cols; j++) r[j] = sumAbs[j] / Math.max(1, samples);
        return r;
    }
}
