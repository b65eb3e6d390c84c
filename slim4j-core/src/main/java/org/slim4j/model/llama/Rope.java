package org.slim4j.model.llama;

import org.slim4j.model.llama.LlamaConfig.RopeLayout;
import org.slim4j.model.llama.LlamaConfig.RopeScaling;

/** Rotary position embedding: per-pair frequencies, cos/sin tables for a run of positions, and the rotation itself. */
final class Rope {
    private final double[] invFreq;
    private final RopeLayout layout;
    private final int headDim;

    /** {@code factors}: per-frequency divisors (GGUF rope_freqs), or null. */
    Rope(LlamaConfig c, float[] factors) {
        this.headDim = c.headDim();
        this.layout = c.ropeLayout();
        this.invFreq = frequencies(c.ropeTheta(), c.headDim(), c.ropeScaling());
        if (factors != null) for (int i = 0; i < invFreq.length; i++) invFreq[i] /= factors[i];
    }

    static double[] frequencies(double theta, int headDim, RopeScaling s) {
        int half = headDim / 2;
        double[] f = new double[half];
        for (int i = 0; i < half; i++) f[i] = 1.0 / Math.pow(theta, 2.0 * i / headDim);
        if (s == null) return f;
        if (s.lowFreqFactor() == 0) {
            for (int i = 0; i < half; i++) f[i] /= s.factor();
            return f;
        }
        // Llama 3: keep high frequencies, divide low ones by factor, blend in between (transformers' _compute_llama3_parameters).
        double lowWavelen = s.originalMaxPositions() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositions() / s.highFreqFactor();
        for (int i = 0; i < half; i++) {
            double wavelen = 2 * Math.PI / f[i];
            if (wavelen > lowWavelen) {
                f[i] /= s.factor();
            } else if (wavelen >= highWavelen) {
                double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                f[i] = (1 - smooth) * f[i] / s.factor() + smooth * f[i];
            }
        }
        return f;
    }

    /** cos/sin for positions pos0..pos0+n, row-major [n][headDim/2]. */
    void tables(int pos0, int n, float[] cos, float[] sin) {
        int half = headDim / 2;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < half; j++) {
                double a = (double) (pos0 + i) * invFreq[j];
                cos[i * half + j] = (float) Math.cos(a);
                sin[i * half + j] = (float) Math.sin(a);
            }
        }
    }

    /** Rotates every head of n rows of x ([n][nHeads * headDim]) in place, row i at table row i. */
    void apply(float[] x, int n, int nHeads, float[] cos, float[] sin) {
        int half = headDim / 2;
        int width = nHeads * headDim;
        // ROTATE_HALF pairs (j, j + half); ADJACENT_PAIRS pairs (2j, 2j + 1); same angle for pair j either way.
        int stride = layout == RopeLayout.ROTATE_HALF ? 1 : 2;
        int partner = layout == RopeLayout.ROTATE_HALF ? half : 1;
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < nHeads; h++) {
                int base = i * width + h * headDim;
                for (int j = 0; j < half; j++) {
                    int a = base + j * stride, b = a + partner;
                    float c = cos[i * half + j], s = sin[i * half + j];
                    float x0 = x[a], x1 = x[b];
                    x[a] = x0 * c - x1 * s;
                    x[b] = x1 * c + x0 * s;
                }
            }
        }
    }
}
