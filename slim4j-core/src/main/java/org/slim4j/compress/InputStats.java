package org.slim4j.compress;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.kernel.MatMulF32;

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
        if (gram != null) addGram(x, n);
        samples += n;
    }

    /**
     * X^T X of up to CHUNK rows at a time through the float32 matrix kernel (as x W^T with W = x = X^T), summed
     * into double: a scalar double loop made calibration of a 1536-wide input take minutes on two cores.
     */
    private void addGram(float[] x, int n) {
        float[] g = new float[cols * cols];
        float[] xt = new float[cols * Math.min(CHUNK, n)];
        try (Arena arena = Arena.ofShared()) { // shared: the kernel reads it from the common pool
            MemorySegment native_ = arena.allocate(4L * xt.length, 64);
            for (int r0 = 0; r0 < n; r0 += CHUNK) {
                int m = Math.min(CHUNK, n - r0);
                for (int i = 0; i < m; i++) for (int j = 0; j < cols; j++) xt[j * m + i] = x[(r0 + i) * cols + j];
                MemorySegment.copy(xt, 0, native_, Dequant.F32, 0, cols * m);
                MatMulF32.forward(native_.asSlice(0, 4L * cols * m), cols, m, xt, cols, g, true);
                for (int i = 0; i < g.length; i++) gram[i] += g[i];
            }
        }
    }

    private static final int CHUNK = 256;

    /** The statistics of the inputs x / s (per channel): what a layer sees after its input is scaled by 1 / s. */
    public InputStats dividedBy(double[] s) {
        InputStats r = new InputStats(cols, gram != null);
        r.samples = samples;
        for (int j = 0; j < cols; j++) {
            r.sumSq[j] = sumSq[j] / (s[j] * s[j]);
            r.sumAbs[j] = sumAbs[j] / s[j];
        }
        if (gram != null) for (int a = 0; a < cols; a++) for (int b = 0; b < cols; b++) r.gram[a * cols + b] = gram[a * cols + b] / (s[a] * s[b]);
        return r;
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
        double[] g = requireGram().clone();
        // the float kernel's summation order differs per element: make it exactly symmetric
        for (int a = 0; a < cols; a++) for (int b = a + 1; b < cols; b++) g[b * cols + a] = g[a * cols + b] = 0.5 * (g[a * cols + b] + g[b * cols + a]);
        return g;
    }

    /** {@link #gram()} rounded to float, made without the double copy (an 8192-input layer's is 537 MB). */
    public float[] gramFloat() {
        double[] g = requireGram();
        float[] f = new float[cols * cols];
        for (int a = 0; a < cols; a++) {
            f[a * cols + a] = (float) g[a * cols + a];
            for (int b = a + 1; b < cols; b++) f[b * cols + a] = f[a * cols + b] = (float) (0.5 * (g[a * cols + b] + g[b * cols + a]));
        }
        return f;
    }

    /**
     * Each input's mean square as the Gram matrix summed it (diag X^T X / n): llama.cpp's importance matrix entry, which
     * its rounding weighs each column by.
     */
    public float[] meanSquares() {
        double[] g = requireGram();
        float[] r = new float[cols];
        for (int j = 0; j < cols; j++) r[j] = (float) (g[j * cols + j] / Math.max(1, samples));
        return r;
    }

    private double[] requireGram() {
        if (gram == null) throw new IllegalStateException("these statistics were collected without the Gram matrix");
        return gram;
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
