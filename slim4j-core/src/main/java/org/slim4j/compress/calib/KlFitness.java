package org.slim4j.compress.calib;

import java.lang.foreign.MemorySegment;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.slim4j.compress.NativeFloats;
import org.slim4j.eval.LogitMath;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.kernel.MatMulF32;

/**
 * The fitness of a search: the mean KL divergence, over every position of a fixed set of calibration tokens, from the
 * original model's next-token distribution to the one of the weights the model holds now.
 *
 * <p>The original's logits are computed once, at construction, and only over the tokens that carry its probability:
 * the union of every position's {@value #TOP} likeliest (a few thousand of the vocabulary), both distributions
 * renormalised over that set, which makes the output layer a small fraction of a forward pass. A {@link Trace} keeps
 * every block's input, so a candidate that differs from its parent only from block b on reruns blocks b.. alone.
 */
final class KlFitness {
    static final int TOP = 32;

    /** Every block's input (the last entry: the final hidden states) and the mean KL divergence they give. */
    record Trace(float[][] inputs, double kld) {}

    private final LlamaBlocks blocks;
    private final String output;
    private final int hidden;
    private final int[] rows;
    private final float[] base;
    private Tensor lastOutput;
    private MemorySegment lastRows;

    /** {@code blocks} holds the original weights now; its sequences are the tokens the fitness is measured on. */
    KlFitness(LlamaBlocks blocks) {
        this.blocks = blocks;
        this.output = blocks.extraTensors().getLast(); // the token embedding itself when tied
        this.hidden = blocks.hidden();
        float[] x = blocks.embed();
        for (int b = 0; b < blocks.blocks(); b++) blocks.forward(b, x, null);
        Tensor out = blocks.tensor(output);
        int vocab = Math.toIntExact(out.rows());
        float[] y = blocks.outputInput(x);
        int n = y.length / hidden;
        TreeSet<Integer> keep = new TreeSet<>();
        MemorySegment all = rowsOf(out, null); // decoded once, not once per block of positions
        int chunk = 64; // positions per full-vocabulary logits block, to bound the memory
        for (int p0 = 0; p0 < n; p0 += chunk) {
            int m = Math.min(chunk, n - p0);
            float[] full = new float[m * vocab];
            float[] part = java.util.Arrays.copyOfRange(y, p0 * hidden, (p0 + m) * hidden);
            MatMulF32.forward(all, vocab, hidden, part, m, full, true);
            for (int i = 0; i < m; i++) for (int t : top(full, i * vocab, vocab)) keep.add(t);
        }
        rows = keep.stream().mapToInt(Integer::intValue).toArray();
        base = logits(y);
    }

    /** Tokens the distributions are taken over. */
    int vocabulary() {
        return rows.length;
    }

    /** Positions the fitness averages over. */
    int positions() {
        return base.length / rows.length;
    }

    /** The model as it holds its weights now, run from the embedding. */
    Trace run() {
        return run(-1, null);
    }

    /**
     * The model as it holds its weights now, blocks {@code from}.. rerun on {@code prefix}'s input to block
     * {@code from} (-1: from the embedding; {@code blocks()}: the output layer alone); earlier inputs are shared.
     */
    Trace run(int from, Trace prefix) {
        int nb = blocks.blocks();
        float[][] inputs = new float[nb + 1][];
        float[] x;
        if (from < 0) x = blocks.embed();
        else {
            System.arraycopy(prefix.inputs, 0, inputs, 0, from);
            x = prefix.inputs[from].clone();
        }
        for (int b = Math.max(0, from); b < nb; b++) {
            inputs[b] = x.clone();
            blocks.forward(b, x, null);
        }
        inputs[nb] = x;
        float[] got = logits(blocks.outputInput(x));
        int v = rows.length, n = got.length / v;
        double s = IntStream.range(0, n).parallel().mapToDouble(i -> LogitMath.kl(base, i * v, got, i * v, v)).sum();
        return new Trace(inputs, s / n);
    }

    /** Logits of the kept tokens for normalised hidden states y, by the output matrix the model holds now. */
    private float[] logits(float[] y) {
        Tensor out = blocks.tensor(output);
        if (out != lastOutput) {
            lastRows = rowsOf(out, rows);
            lastOutput = out;
        }
        int n = y.length / hidden;
        float[] z = new float[n * rows.length];
        MatMulF32.forward(lastRows, rows.length, hidden, y, n, z, true);
        return z;
    }

    /** The given rows (all when null) of a matrix as native float32. */
    private MemorySegment rowsOf(Tensor t, int[] which) {
        if (which == null && t.dtype() == org.slim4j.tensor.DType.F32 && t.data().isNative()) return t.data();
        int n = which == null ? Math.toIntExact(t.rows()) : which.length;
        float[] sub = new float[n * hidden];
        for (int i = 0; i < n; i++) Dequant.decode(t.dtype(), t.data(), (which == null ? i : which[i]) * t.rowBytes(), sub, i * hidden, hidden);
        return NativeFloats.of(sub);
    }

    /** The {@value #TOP} largest of v[off, off+n). */
    private static int[] top(float[] v, int off, int n) {
        int[] top = new int[TOP]; // kept sorted descending by insertion
        int k = 0;
        for (int t = 0; t < n; t++) {
            float x = v[off + t];
            if (k == TOP && x <= v[off + top[TOP - 1]]) continue;
            int j = k < TOP ? k++ : TOP - 1;
            while (j > 0 && v[off + top[j - 1]] < x) {
                top[j] = top[j - 1];
                j--;
            }
            top[j] = t;
        }
        return java.util.Arrays.copyOf(top, k);
    }
}
