package org.slim4j.compress.quant;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

/**
 * SqueezeLLM (Kim et al. 2023): per output row, a lookup table of 2^bits values fitted by sensitivity-weighted
 * k-means, optionally with the most sensitive weights kept aside as fp16 outliers (dense-and-sparse).
 * The paper weights each element by the Fisher information (squared gradients of the loss). slim4j's calibration
 * collects forward statistics only, so the sensitivity used here is the diagonal of X^T X, i.e. the squared input
 * channel norm ||X_c||^2 (the layer-output error's second-order weight per column, the same for every row); without
 * statistics every weight counts the same. Outliers are the entries with the largest sensitivity-weighted energy
 * w^2 * ||X_c||^2 (plain magnitude without statistics), a fraction of the whole matrix.
 */
public final class SqueezeLlm implements Compressor {
    static final int MAX_ITERS = 50;
    private final int bits;
    private final double outlierFraction;

    /** @param outlierFraction share of weights kept as fp16 outliers, e.g. 0.005 for the paper's 0.5%; 0 for none */
    public SqueezeLlm(int bits, double outlierFraction) {
        if (bits < 2 || bits > 8) throw new IllegalArgumentException("bits must be 2..8, got " + bits);
        if (outlierFraction < 0 || outlierFraction >= 1) throw new IllegalArgumentException("outlier fraction must be in [0, 1)");
        this.bits = bits;
        this.outlierFraction = outlierFraction;
    }

    @Override
    public String name() {
        return "squeezellm";
    }

    @Override
    public LutLinear compress(LinearWeight w, InputStats stats) {
        int rows = w.rows(), cols = w.cols(), k = 1 << bits;
        double[] sens = sensitivity(stats, cols);
        float[] x = w.w();
        boolean[] isOutlier = new boolean[x.length];
        int[] outIdx = outliers(x, sens, cols, (int) Math.round(outlierFraction * x.length));
        for (int i : outIdx) isOutlier[i] = true;
        byte[] codes = new byte[x.length];
        float[] lut = new float[rows * k];
        IntStream.range(0, rows).parallel().forEach(r -> {
            int n = 0;
            float[] v = new float[cols];
            double[] wt = new double[cols];
            int[] pos = new int[cols];
            for (int c = 0; c < cols; c++) {
                if (isOutlier[r * cols + c]) continue;
                v[n] = x[r * cols + c];
                wt[n] = sens[c];
                pos[n++] = c;
            }
            Fit f = kmeans(Arrays.copyOf(v, n), Arrays.copyOf(wt, n), k, null);
            for (int j = 0; j < k; j++) lut[r * k + j] = fp16(f.centroids[j]);
            for (int i = 0; i < n; i++) codes[r * cols + pos[i]] = (byte) nearest(lut, r * k, k, v[i]);
        });
        float[] outVal = new float[outIdx.length];
        for (int i = 0; i < outIdx.length; i++) outVal[i] = fp16(x[outIdx[i]]);
        return new LutLinear(rows, cols, bits, codes, lut, outIdx, outVal, name());
    }

    /** ||X_c||^2 per input column, or all ones without statistics. */
    static double[] sensitivity(InputStats stats, int cols) {
        double[] s = new double[cols];
        if (stats == null) {
            Arrays.fill(s, 1);
            return s;
        }
        double[] norms = stats.channelNorms();
        // a column never seen non-zero would get weight 0 and a free value; a floor keeps every weight fitted
        double mean = Arrays.stream(norms).map(v -> v * v).average().orElse(1);
        for (int c = 0; c < cols; c++) s[c] = Math.max(norms[c] * norms[c], 1e-6 * mean + 1e-30);
        return s;
    }

    /** The flat indices of the {@code count} weights with the largest w^2 * sensitivity, ascending. */
    static int[] outliers(float[] x, double[] sens, int cols, int count) {
        if (count == 0) return new int[0];
        Integer[] idx = new Integer[x.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> Double.compare((double) x[b] * x[b] * sens[b % cols], (double) x[a] * x[a] * sens[a % cols]));
        int[] out = new int[count];
        for (int i = 0; i < count; i++) out[i] = idx[i];
        Arrays.sort(out);
        return out;
    }

    /** Centroids (ascending) and each value's cluster. */
    public record Fit(double[] centroids, int[] assignment, double objective) {}

    /**
     * Weighted 1-D k-means (Lloyd): minimises sum_i w_i (v_i - c_{a(i)})^2. Starts from weighted quantiles, which
     * is deterministic and already close in 1-D; an emptied cluster keeps its centroid. Both steps never increase
     * the objective; {@code trace}, when given, receives it after every iteration.
     */
    public static Fit kmeans(float[] v, double[] w, int k, java.util.List<Double> trace) {
        double[] c = initQuantiles(v, w, k);
        int[] a = new int[v.length];
        double obj = Double.POSITIVE_INFINITY;
        for (int it = 0; it < MAX_ITERS; it++) {
            boolean changed = it == 0;
            for (int i = 0; i < v.length; i++) {
                int j = nearest(c, v[i]);
                if (j != a[i]) changed = true;
                a[i] = j;
            }
            double[] sw = new double[k], swx = new double[k];
            for (int i = 0; i < v.length; i++) {
                sw[a[i]] += w[i];
                swx[a[i]] += w[i] * v[i];
            }
            for (int j = 0; j < k; j++) if (sw[j] > 0) c[j] = swx[j] / sw[j];
            obj = objective(v, w, c, a);
            if (trace != null) trace.add(obj);
            if (!changed) break;
        }
        // centroids stay sorted: in 1-D each cluster is an interval and the means keep their order
        return new Fit(c, a, obj);
    }

    static double objective(float[] v, double[] w, double[] c, int[] a) {
        double s = 0;
        for (int i = 0; i < v.length; i++) {
            double d = v[i] - c[a[i]];
            s += w[i] * d * d;
        }
        return s;
    }

    private static double[] initQuantiles(float[] v, double[] w, int k) {
        double[] c = new double[k];
        if (v.length == 0) return c;
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) order[i] = i;
        Arrays.sort(order, (p, q) -> Float.compare(v[p], v[q]));
        double total = 0;
        for (double x : w) total += x;
        double acc = 0;
        int j = 0;
        for (int i = 0; i < v.length && j < k; i++) {
            acc += w[order[i]];
            while (j < k && acc >= total * (j + 0.5) / k) c[j++] = v[order[i]];
        }
        while (j < k) c[j++] = v[order[v.length - 1]];
        return c;
    }

    private static int nearest(double[] c, float x) {
        int best = 0;
        double bd = Double.POSITIVE_INFINITY;
        for (int j = 0; j < c.length; j++) {
            double d = Math.abs(x - c[j]);
            if (d < bd) {
                bd = d;
                best = j;
            }
        }
        return best;
    }

    private static int nearest(float[] lut, int off, int k, float x) {
        int best = 0;
        float bd = Float.POSITIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            float d = Math.abs(x - lut[off + j]);
            if (d < bd) {
                bd = d;
                best = j;
            }
        }
        return best;
    }

    static float fp16(double x) {
        return Float.float16ToFloat(Float.floatToFloat16((float) x));
    }
}
