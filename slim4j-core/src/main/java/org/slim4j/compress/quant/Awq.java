package org.slim4j.compress.quant;

import org.slim4j.tensor.quant.QuantScheme;
import java.util.Locale;
import java.util.stream.IntStream;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputScaling;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;
import org.slim4j.compress.OutputError;

// AWQ: Lin et al. 2023, "AWQ: Activation-aware Weight Quantization for LLM Compression and Acceleration" (arXiv:2306.00978).
/**
 * Scales each input channel by s = mean|x|^alpha before rounding, so the channels that carry large activations
 * lose less to rounding, and divides the input by s: alpha is searched over [0, 1] for the least output error on
 * the calibration inputs (alpha = 0 is plain RTN, so the search never does worse on them). Then each group's range
 * is shrunk (clipping search) to minimise that group's output error. The output error is measured exactly through
 * the Gram matrix X^T X rather than on a subset of tokens: sum_r d_r G d_r^T for the weight difference d.
 * Where the layers reading one input all use AWQ and that input is a norm's output read by nothing else (a pre-norm
 * decoder's q/k/v and gate/up), the layer-wise pass searches one scale for them ({@link #sharedScale}) and folds 1/s
 * into the norm's weight, so they store as plain pack-quantized weights; elsewhere the scale is kept as an explicit
 * input multiply ({@link InputScaledLinear}, stored as its own format).
 */
public final class Awq implements Compressor, InputScaling {
    private static final int ALPHA_STEPS = 20;
    private static final int CLIP_STEPS = 10;
    private static final float CLIP_MIN = 0.5f;
    private final QuantScheme scheme;
    private final boolean clipSearch;

    public Awq(QuantScheme scheme, boolean clipSearch) {
        this.scheme = scheme;
        this.clipSearch = clipSearch;
    }

    public Awq(QuantScheme scheme) {
        this(scheme, true);
    }

    @Override
    public String name() {
        return "awq";
    }

    @Override
    public boolean needsGram() {
        return true;
    }

    @Override
    public Compressor dataFree() {
        return new Rtn(scheme, clipSearch);
    }

    @Override
    public InputScaling inputScaling() {
        return this;
    }

    @Override
    public CompressedLinear compressScaled(LinearWeight w, float[] s, InputStats stats) {
        return quantizeScaled(w, s, stats);
    }

    @Override
    public CompressedLinear compress(LinearWeight w, InputStats stats) {
        float[] s = sharedScale(java.util.List.of(w), stats);
        return new InputScaledLinear(quantizeScaled(w, s, stats), s, "input scale");
    }

    /**
     * The input scale with the least summed output error over layers that read the same input (AWQ searches one
     * scale for q/k/v, one for gate/up, so that it can be folded into the norm they share).
     */
    @Override
    public float[] sharedScale(java.util.List<LinearWeight> ws, InputStats stats) {
        float[] g = stats.gramFloat();
        double[] act = stats.meanAbs();
        double bestErr = Double.POSITIVE_INFINITY;
        float[] best = null;
        for (int step = 0; step <= ALPHA_STEPS; step++) {
            float[] s = scales(act, (double) step / ALPHA_STEPS);
            double e = 0;
            for (LinearWeight w : ws) {
                int cols = w.cols();
                float[] eff = Rtn.quantize(scaled(w, s), scheme, false, "awq").effectiveWeight();
                float[] d = new float[eff.length];
                for (int i = 0; i < d.length; i++) d[i] = w.w()[i] - eff[i] / s[i % cols];
                e += OutputError.quadratic(d, w.rows(), cols, g);
            }
            if (e < bestErr) {
                bestErr = e;
                best = s;
            }
        }
        return best;
    }

    /** Q(W diag(s)) with the clipping search: the weight for an input divided by s. */
    public QuantizedLinear quantizeScaled(LinearWeight w, float[] s, InputStats stats) {
        LinearWeight ws = scaled(w, s);
        return clipSearch ? clipped(ws, s, stats.gram()) : Rtn.quantize(ws, scheme, false, "awq");
    }

    /** s = mean|x|^alpha, normalised to a geometric mean-like centre as llm-awq does (sqrt(max * min) = 1). */
    static float[] scales(double[] act, double alpha) {
        float[] s = new float[act.length];
        double max = 0, min = Double.POSITIVE_INFINITY;
        for (int j = 0; j < s.length; j++) {
            double v = Math.pow(Math.max(act[j], 1e-4), alpha);
            s[j] = (float) v;
            max = Math.max(max, v);
            min = Math.min(min, v);
        }
        float norm = (float) Math.sqrt(max * min);
        // fp16, as stored: the weights are scaled by exactly the values a loader will divide by
        for (int j = 0; j < s.length; j++) s[j] = Float.float16ToFloat(Float.floatToFloat16(s[j] / norm));
        return s;
    }

    private static LinearWeight scaled(LinearWeight w, float[] s) {
        float[] v = w.w().clone();
        int cols = w.cols();
        for (int i = 0; i < v.length; i++) v[i] *= s[i % cols];
        return w.withValues(v);
    }

    /**
     * Per group, the range shrink with the least output error of that group alone (d_g G_gg d_g^T in original units;
     * cross-group terms are ignored, as in llm-awq's auto_clip).
     */
    private QuantizedLinear clipped(LinearWeight ws, float[] s, double[] gram) {
        int rows = ws.rows(), cols = ws.cols();
        boolean perTensor = scheme.groupSize() == QuantScheme.PER_TENSOR;
        if (perTensor) return Rtn.quantize(ws, scheme, true, "awq");
        int groups = scheme.groupsPerRow(cols), width = scheme.groupWidth(cols);
        boolean full = width <= 256; // beyond, the diagonal of G stands for the block (cost width^2 per group)
        float[] x = ws.w();
        byte[] codes = new byte[rows * cols];
        float[] scales = new float[rows * groups];
        int[] zeros = new int[rows * groups];
        IntStream.range(0, rows).parallel().forEach(r -> {
            double[] d = new double[width];
            for (int g = 0; g < groups; g++) {
                int from = r * cols + g * width, c0 = g * width;
                QuantGrid bestGrid = null;
                double bestErr = Double.POSITIVE_INFINITY;
                for (int step = 0; step <= CLIP_STEPS; step++) {
                    float shrink = 1f - (1f - CLIP_MIN) * step / CLIP_STEPS;
                    QuantGrid grid = QuantGrid.fit(x, from, width, scheme, shrink);
                    for (int k = 0; k < width; k++) d[k] = (x[from + k] - grid.roundTrip(x[from + k])) / s[c0 + k];
                    double e = 0;
                    for (int a = 0; a < width; a++) {
                        int ga = (c0 + a) * cols + c0;
                        if (full) {
                            double t = 0;
                            for (int b = 0; b < width; b++) t += gram[ga + b] * d[b];
                            e += d[a] * t;
                        } else {
                            e += gram[ga + a] * d[a] * d[a];
                        }
                    }
                    if (e < bestErr) {
                        bestErr = e;
                        bestGrid = grid;
                    }
                }
                scales[r * groups + g] = bestGrid.scale();
                zeros[r * groups + g] = bestGrid.zero();
                for (int k = 0; k < width; k++) codes[from + k] = (byte) bestGrid.quantize(x[from + k]);
            }
        });
        return new QuantizedLinear(rows, cols, scheme, codes, scales, zeros, 16, "awq");
    }
}
