package org.slim4j.compress.calib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;
import org.slim4j.compress.NativeFloats;
import org.slim4j.eval.LogitMath;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.kernel.MatMulF32;
import org.slim4j.tensor.quant.BlockCodecs;
import org.slim4j.tensor.quant.ImatrixEncoder;
import org.slim4j.util.Progress;

// The additive model of quantization error behind the allocation: errors of different layers add up in the model's
// loss to first order (the "linearity theorem" of Malinovskii et al. 2024, HIGGS, arXiv:2411.17525; llama.cpp's
// --target-bpw allocates from per-tensor error curves the same way), and the budget is a multiple-choice knapsack.
/**
 * Budgeted per-tensor precision: which ggml type each matrix gets so the file fits a size and the predicted KL
 * divergence to the original is smallest.
 *
 * <p>Each matrix t has an error curve D_t(type): the mean squared error its output takes on the calibration inputs,
 * tr(dW G dW^T) / n with G = X^T X, when rounded to nearest in that type with the layer's input mean squares as
 * importance (llama.cpp's importance-weighted rounding; GPTQ lowers every point of the curve by a similar factor).
 * What one unit of a tensor's output error costs in the model's KL divergence differs by orders of magnitude between
 * tensors (a token embedding tied to the output layer against a key projection), so each tensor's sensitivity s_t is
 * measured: the KL divergence to the original logits on a few probe sequences when that tensor alone is rounded to
 * a probe type, divided by D_t(probe). The predicted KL divergence of an assignment is sum_t s_t D_t(type_t), and
 * {@link #allocate} minimises it exactly under the byte budget (dynamic programming over the budget in 1 KiB units).
 */
public final class TypeBudget {
    /** One point of a curve: the type, its bytes for the tensor and the predicted KL divergence it adds. */
    public record Option(DType type, long bytes, double kld) {}

    /** A tensor's options, ordered by bytes. */
    public record Curve(String tensor, List<Option> options) {
        public Option cheapest() {
            return options.stream().min(java.util.Comparator.comparingLong(Option::bytes)).orElseThrow();
        }
    }

    private static final int MAX_ROWS = 4096;

    private TypeBudget() {}

    /**
     * The curves of the given tensors (GGUF names; the token embedding too, as the output matrix under
     * {@code outputName}'s statistics), measured on {@code blocks}' original weights, restored after.
     *
     * @param stats      every linear's input statistics on the original model ({@link GgufCalibration#statistics})
     * @param candidates the types each tensor may take
     * @param probe      the sequences sensitivity is measured on (a few short ones)
     * @param probeType  the type each tensor is rounded to alone for its sensitivity
     */
    public static List<Curve> curves(LlamaBlocks probe, Map<String, InputStats> stats, Map<String, List<DType>> candidates, DType probeType) {
        Probe p = new Probe(probe);
        Progress progress = new Progress("error curves", candidates.size());
        List<Curve> curves = new ArrayList<>();
        for (Map.Entry<String, List<DType>> e : candidates.entrySet()) {
            String name = e.getKey();
            InputStats st = stats.get(name.equals(p.output) ? GgufCalibration.OUTPUT : name);
            if (st == null) throw new IllegalArgumentException(name + ": no input statistics (only linears and the output matrix have error curves)");
            curves.add(curve(p, probe, name, e.getValue(), st, probeType, progress, curves.size() + 1));
        }
        return curves;
    }

    /**
     * As {@link #curves(LlamaBlocks, Map, Map, DType)}, the statistics gathered on {@code statistics}' batch block by
     * block ({@link GgufCalibration#statistics(LlamaBlocks, java.util.function.Consumer)}) and each block's curves made
     * before the next block's: one block's Gram matrices are held at a time (Llama-3.2-1B's, all at once: 10 GB).
     * Same curves: the probe restores every tensor it rounds, so the statistics see the original model throughout.
     */
    public static List<Curve> curves(LlamaBlocks probe, LlamaBlocks statistics, Map<String, List<DType>> candidates, DType probeType) {
        Probe p = new Probe(probe);
        Progress progress = new Progress("error curves", candidates.size());
        Map<String, Curve> made = new java.util.HashMap<>();
        GgufCalibration.statistics(statistics, stats -> {
            for (Map.Entry<String, List<DType>> e : candidates.entrySet()) {
                InputStats st = stats.get(e.getKey().equals(p.output) ? GgufCalibration.OUTPUT : e.getKey());
                if (st != null) made.put(e.getKey(), curve(p, probe, e.getKey(), e.getValue(), st, probeType, progress, made.size() + 1));
            }
        });
        List<Curve> curves = new ArrayList<>();
        for (String name : candidates.keySet()) {
            Curve c = made.get(name);
            if (c == null) throw new IllegalArgumentException(name + ": no input statistics (only linears and the output matrix have error curves)");
            curves.add(c);
        }
        return curves;
    }

    private static Curve curve(Probe p, LlamaBlocks probe, String name, List<DType> candidates, InputStats st, DType probeType, Progress progress, int done) {
        LinearWeight w = probe.weight(name);
        float[] qw = st.meanSquares();
        double[] d = new double[candidates.size()];
        for (int i = 0; i < d.length; i++) d[i] = outputError(w, candidates.get(i), qw, st);
        double dp = candidates.contains(probeType) ? d[candidates.indexOf(probeType)] : outputError(w, probeType, qw, st);
        float[] rounded = roundTrip(w, probeType, qw, 0, w.rows());
        double kld = p.kld(name, rounded);
        double s = dp > 0 ? kld / dp : 0;
        List<Option> opts = new ArrayList<>();
        for (int i = 0; i < d.length; i++) {
            DType t = candidates.get(i);
            opts.add(new Option(t, (long) w.rows() * t.bytesFor(w.cols()), s * d[i]));
        }
        opts.sort(java.util.Comparator.comparingLong(Option::bytes));
        progress.step(done, String.format(Locale.ROOT, "%s: KLD %.5f alone in %s", name, kld, probeType));
        return new Curve(name, List.copyOf(opts));
    }

    /**
     * The type of every curve's tensor minimising the summed predicted KL divergence with the summed bytes at most
     * {@code budget}; null when even the cheapest options exceed it.
     */
    public static Map<String, DType> allocate(List<Curve> curves, long budget) {
        final long unit = 1024;
        int cap = (int) Math.min(Integer.MAX_VALUE - 1, budget / unit);
        long cheapest = 0;
        for (Curve c : curves) cheapest += (c.cheapest().bytes() + unit - 1) / unit;
        if (cheapest > cap) return null;
        int n = curves.size();
        double[] best = new double[cap + 1];
        byte[][] choice = new byte[n][cap + 1];
        for (int i = 0; i < n; i++) {
            List<Option> opts = curves.get(i).options();
            double[] next = new double[cap + 1];
            Arrays.fill(next, Double.POSITIVE_INFINITY);
            for (int k = 0; k < opts.size(); k++) {
                int cost = (int) ((opts.get(k).bytes() + unit - 1) / unit);
                double err = opts.get(k).kld();
                for (int b = cost; b <= cap; b++) {
                    double v = best[b - cost] + err;
                    if (v < next[b]) {
                        next[b] = v;
                        choice[i][b] = (byte) k;
                    }
                }
            }
            best = next;
        }
        int b = cap;
        Map<String, DType> out = new LinkedHashMap<>();
        for (int i = n - 1; i >= 0; i--) {
            Option o = curves.get(i).options().get(choice[i][b]);
            out.put(curves.get(i).tensor(), o.type());
            b -= (int) ((o.bytes() + unit - 1) / unit);
        }
        return out;
    }

    /** The predicted KL divergence of an assignment. */
    public static double predicted(List<Curve> curves, Map<String, DType> types) {
        double s = 0;
        for (Curve c : curves) for (Option o : c.options()) if (o.type() == types.get(c.tensor())) s += o.kld();
        return s;
    }

    /** tr(dW G dW^T) / n over (a stride of) the rows, scaled to all rows: the output's squared error per token. */
    static double outputError(LinearWeight w, DType type, float[] qw, InputStats st) {
        int rows = w.rows(), cols = w.cols(), stride = Math.max(1, (rows + MAX_ROWS - 1) / MAX_ROWS), m = (rows + stride - 1) / stride;
        float[] dw = new float[m * cols];
        IntStream.range(0, m).parallel().forEach(i -> {
            float[] r = roundTrip(w, type, qw, i * stride, i * stride + 1);
            for (int j = 0; j < cols; j++) dw[i * cols + j] = w.w()[i * stride * cols + j] - r[j];
        });
        float[] gf = st.gramFloat();
        float[] y = new float[m * cols];
        try (Arena a = Arena.ofShared()) {
            MatMulF32.forward(NativeFloats.of(gf, a), cols, cols, dw, m, y, true);
        }
        double e = 0;
        for (int i = 0; i < y.length; i++) e += (double) dw[i] * y[i];
        return e / Math.max(1, st.samples()) * ((double) rows / m);
    }

    /** Rows [r0, r1) of w rounded to nearest in {@code type} (importance-weighted where llama.cpp has a rule) and decoded. */
    static float[] roundTrip(LinearWeight w, DType type, float[] qw, int r0, int r1) {
        int cols = w.cols();
        long rb = type.bytesFor(cols);
        float[] out = new float[(r1 - r0) * cols];
        boolean weighted = ImatrixEncoder.supports(type);
        IntStream.range(r0, r1).parallel().forEach(r -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment seg = a.allocate(rb, 64);
                float[] row = Arrays.copyOfRange(w.w(), r * cols, (r + 1) * cols);
                if (weighted) ImatrixEncoder.encodeRow(type, row, qw, seg, 0);
                else BlockCodecs.encoder(type).encode(row, 0, seg, 0, cols);
                Dequant.decode(type, seg, 0, out, (r - r0) * cols, cols);
            }
        });
        return out;
    }

    /**
     * KL divergence on the probe sequences with one tensor replaced: block inputs cached, only the blocks after it rerun.
     * The distributions are taken over the tokens that matter, the union of every probe position's 32 likeliest under
     * the original (a few thousand of the vocabulary, which holds nearly all of the probability mass), renormalised:
     * the output matrix then costs a tenth of the full one per probe, and the sensitivity is a ratio of such KLs.
     */
    private static final class Probe {
        private static final int TOP = 32;
        private final LlamaBlocks blocks;
        private final float[][] inputs;
        private final float[] base;
        private final int[] rows;
        private final String embedding, output;
        private final int hidden;

        Probe(LlamaBlocks blocks) {
            this.blocks = blocks;
            this.embedding = blocks.extraTensors().getFirst();
            this.output = blocks.extraTensors().getLast(); // the embedding itself when tied
            this.hidden = blocks.hidden();
            inputs = new float[blocks.blocks() + 1][];
            float[] x = blocks.embed();
            for (int b = 0; b < blocks.blocks(); b++) {
                inputs[b] = x.clone();
                blocks.forward(b, x, null);
            }
            inputs[blocks.blocks()] = x;
            LinearWeight out = blocks.weight(output);
            int vocab = out.rows();
            float[] full = new float[(x.length / hidden) * vocab];
            try (Arena a = Arena.ofShared()) {
                MatMulF32.forward(NativeFloats.of(out.w(), a), vocab, hidden, blocks.outputInput(x), x.length / hidden, full, true);
            }
            java.util.TreeSet<Integer> keep = new java.util.TreeSet<>();
            for (int i = 0; i < full.length / vocab; i++) {
                int[] top = new int[TOP]; // the TOP largest, kept sorted descending by insertion
                int k = 0;
                for (int t = 0; t < vocab; t++) {
                    float v = full[i * vocab + t];
                    if (k == TOP && v <= full[i * vocab + top[TOP - 1]]) continue;
                    int j = k < TOP ? k++ : TOP - 1;
                    while (j > 0 && full[i * vocab + top[j - 1]] < v) {
                        top[j] = top[j - 1];
                        j--;
                    }
                    top[j] = t;
                }
                for (int j = 0; j < k; j++) keep.add(top[j]);
            }
            rows = keep.stream().mapToInt(Integer::intValue).toArray();
            base = logits(x, out.w());
        }

        double kld(String name, float[] rounded) {
            blocks.setWeight(name, rounded);
            try {
                int from = name.equals(embedding) ? -1 : name.equals(output) ? blocks.blocks() : Integer.parseInt(name.split("\\.")[1]);
                float[] x = from < 0 ? blocks.embed() : inputs[from].clone();
                for (int b = Math.max(0, from); b < blocks.blocks(); b++) blocks.forward(b, x, null);
                float[] got = logits(x, blocks.weight(output).w());
                int v = rows.length, n = got.length / v;
                double s = IntStream.range(0, n).parallel().mapToDouble(i -> LogitMath.kl(base, i * v, got, i * v, v)).sum();
                return s / n;
            } finally {
                // the loaded tensor itself back, not a float32 copy of it: copies of every tensor stayed resident (1B: 5 GB)
                blocks.restore(List.of(name));
            }
        }

        /** Logits of the kept tokens for the hidden states x after the last block, the output matrix being {@code out}. */
        private float[] logits(float[] x, float[] out) {
            float[] sub = new float[rows.length * hidden];
            for (int i = 0; i < rows.length; i++) System.arraycopy(out, rows[i] * hidden, sub, i * hidden, hidden);
            float[] y = blocks.outputInput(x);
            int n = y.length / hidden;
            float[] z = new float[n * rows.length];
            try (Arena a = Arena.ofShared()) {
                MatMulF32.forward(NativeFloats.of(sub, a), rows.length, hidden, y, n, z, true);
            }
            return z;
        }
    }
}
