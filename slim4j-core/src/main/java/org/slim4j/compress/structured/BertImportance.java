package org.slim4j.compress.structured;

import java.util.List;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.calib.BertBlocks;
import org.slim4j.model.bert.BertConfig;
import org.slim4j.model.bert.BertModel;
import org.slim4j.tensor.Dequant;

/**
 * What one calibration pass says about an encoder's structure, per layer:
 * <ul>
 * <li>head and FFN-channel importance: the output energy each would remove, ||X_j||^2 ||W_out[:, j]||^2 summed over
 *     the head's columns (the activation-weighted criterion of Wanda-sp / FLAP, An et al. 2024), from the inputs of
 *     attention.output.dense and output.dense;</li>
 * <li>block influence 1 - cos(block input, block output) averaged over tokens (ShortGPT, Men et al. 2024), and the
 *     same for the FFN sub-block alone (its input is the attention LayerNorm's output).</li>
 * </ul>
 */
public record BertImportance(double[][] heads, double[][] channels, double[] blockInfluence, double[] ffnInfluence) {

    public static BertImportance measure(BertModel model, List<String> sentences) {
        BertConfig c = model.config();
        BertBlocks blocks = new BertBlocks(model, sentences);
        int layers = c.layers(), h = c.hidden();
        double[][] heads = new double[layers][], channels = new double[layers][];
        double[] bi = new double[layers], fi = new double[layers];
        float[] x = blocks.embed();
        for (int l = 0; l < layers; l++) {
            var L = model.weights().layers().get(l);
            InputStats ctx = c.attentionWidth(l) > 0 ? new InputStats(c.attentionWidth(l), false) : null;
            InputStats inter = c.intermediateAt(l) > 0 ? new InputStats(c.intermediateAt(l), false) : null;
            float[][] ffnIn = new float[1][];
            float[] in = x.clone();
            final int layer = l;
            blocks.forward(l, x, (names, v, n) -> {
                if (ctx != null && names[0].equals(L.attnOut().name())) ctx.add(v, n);
                else if (inter != null && names[0].equals(L.out().name())) inter.add(v, n);
                else if (c.intermediateAt(layer) > 0 && names[0].equals(L.inter().name())) ffnIn[0] = java.util.Arrays.copyOf(v, n * h);
            });
            bi[l] = 1 - meanCosine(in, x, h);
            fi[l] = ffnIn[0] == null ? 0 : 1 - meanCosine(ffnIn[0], x, h);
            heads[l] = new double[c.headsAt(l)];
            if (ctx != null) {
                double[] e = energy(ctx, Dequant.toFloats(L.attnOut()), h, c.attentionWidth(l));
                for (int j = 0; j < e.length; j++) heads[l][j / c.headSize()] += e[j];
            }
            channels[l] = inter == null ? new double[0] : energy(inter, Dequant.toFloats(L.out()), h, c.intermediateAt(l));
        }
        return new BertImportance(heads, channels, bi, fi);
    }

    /** Per layer, the heads to keep when {@code fraction} of each layer's heads go (least important first). */
    public List<List<Integer>> keepHeads(double fraction) {
        List<List<Integer>> r = new java.util.ArrayList<>();
        for (double[] h : heads) r.add(Ranking.keepTop(h, (int) Math.round(h.length * (1 - fraction))));
        return r;
    }

    /** Per layer, the FFN channels to keep when {@code fraction} go; the count kept is rounded to a multiple of 8 for kernels. */
    public List<List<Integer>> keepChannels(double fraction) {
        List<List<Integer>> r = new java.util.ArrayList<>();
        for (double[] c : channels) r.add(Ranking.keepTop(c, (int) Math.round(c.length * (1 - fraction) / 8) * 8));
        return r;
    }

    /** The layers to keep when the {@code remove} layers of least block influence go. */
    public List<Integer> keepLayers(int remove) {
        return Ranking.keepTop(blockInfluence, blockInfluence.length - remove);
    }

    /** Per layer, FFN channels to keep: none in the {@code count} layers whose FFN has the least influence, all elsewhere. */
    public List<List<Integer>> skipFfn(int count) {
        List<Integer> keep = Ranking.keepTop(ffnInfluence, ffnInfluence.length - count);
        List<List<Integer>> r = new java.util.ArrayList<>();
        for (int l = 0; l < channels.length; l++) r.add(keep.contains(l) ? BertShrink.range(channels[l].length) : List.of());
        return r;
    }

    /** ||X_j||^2 ||W[:, j]||^2 per input column j of W [rows, cols]. */
    static double[] energy(InputStats stats, float[] w, int rows, int cols) {
        double[] norms = stats.channelNorms(), e = new double[cols];
        for (int r = 0; r < rows; r++) for (int j = 0; j < cols; j++) e[j] += (double) w[r * cols + j] * w[r * cols + j];
        for (int j = 0; j < cols; j++) e[j] *= norms[j] * norms[j];
        return e;
    }

    static double meanCosine(float[] a, float[] b, int h) {
        int n = a.length / h;
        double sum = 0;
        for (int t = 0; t < n; t++) {
            double ab = 0, aa = 0, bb = 0;
            for (int j = t * h; j < (t + 1) * h; j++) {
                ab += (double) a[j] * b[j];
                aa += (double) a[j] * a[j];
                bb += (double) b[j] * b[j];
            }
            sum += aa == 0 || bb == 0 ? 0 : ab / Math.sqrt(aa * bb);
        }
        return sum / n;
    }
}
