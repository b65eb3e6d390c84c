package org.slim4j.compress.quant;

import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

/**
 * Round-to-nearest: each group's grid fitted to its min/max, every weight rounded to the nearest level. With
 * {@code mseClip}, the range is shrunk over a grid of factors and the one with the least squared error kept
 * (the clipping search of AWQ/llama.cpp-style quantizers). Data-free.
 */
public final class Rtn implements Compressor {
    private static final int CLIP_STEPS = 20;
    private static final float CLIP_MIN = 0.5f;
    private final QuantScheme scheme;
    private final boolean mseClip;

    public Rtn(QuantScheme scheme, boolean mseClip) {
        this.scheme = scheme;
        this.mseClip = mseClip;
    }

    @Override
    public String name() {
        return mseClip ? "rtn-mse" : "rtn";
    }

    @Override
    public CompressedLinear compress(LinearWeight w, InputStats stats) {
        return quantize(w, scheme, mseClip, name());
    }

    /** RTN of a whole matrix; also the starting grid other methods refine. */
    public static QuantizedLinear quantize(LinearWeight w, QuantScheme s, boolean mseClip, String method) {
        int rows = w.rows(), cols = w.cols();
        byte[] codes = new byte[rows * cols];
        float[] x = w.w();
        if (s.groupSize() == QuantScheme.PER_TENSOR) {
            QuantGrid g = best(x, 0, x.length, s, mseClip);
            for (int i = 0; i < x.length; i++) codes[i] = (byte) g.quantize(x[i]);
            return new QuantizedLinear(rows, cols, s, codes, new float[] {g.scale()}, new int[] {g.zero()}, 16, method);
        }
        int groups = s.groupsPerRow(cols), width = s.groupWidth(cols);
        float[] scales = new float[rows * groups];
        int[] zeros = new int[rows * groups];
        java.util.stream.IntStream.range(0, rows).parallel().forEach(r -> {
            for (int g = 0; g < groups; g++) {
                int from = r * cols + g * width;
                QuantGrid grid = best(x, from, width, s, mseClip);
                scales[r * groups + g] = grid.scale();
                zeros[r * groups + g] = grid.zero();
                for (int i = from; i < from + width; i++) codes[i] = (byte) grid.quantize(x[i]);
            }
        });
        return new QuantizedLinear(rows, cols, s, codes, scales, zeros, 16, method);
    }

    static QuantGrid best(float[] x, int from, int n, QuantScheme s, boolean mseClip) {
        QuantGrid best = QuantGrid.fit(x, from, n, s, 1f);
        if (!mseClip) return best;
        double bestErr = error(x, from, n, best);
        for (int step = 1; step <= CLIP_STEPS; step++) {
            float shrink = 1f - (1f - CLIP_MIN) * step / CLIP_STEPS;
            QuantGrid g = QuantGrid.fit(x, from, n, s, shrink);
            double e = error(x, from, n, g);
            if (e < bestErr) {
                bestErr = e;
                best = g;
            }
        }
        return best;
    }

    private static double error(float[] x, int from, int n, QuantGrid g) {
        double e = 0;
        for (int i = from; i < from + n; i++) {
            double d = x[i] - g.roundTrip(x[i]);
            e += d * d;
        }
        return e;
    }

    /** The grid this quantizer rounds onto (compositions such as prune-then-quantize reuse it). */
    public QuantScheme scheme() {
        return scheme;
    }

    @Override
    public QuantScheme grid() {
        return scheme;
    }
}
