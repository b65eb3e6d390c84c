package org.slim4j.eval;

/** Per-position statistics over rows of logits, in double precision (llama.cpp's perplexity/KL formulas). */
public final class LogitMath {
    private LogitMath() {}

    /** log(sum(exp(row))) of logits[off..off+n), stable. */
    public static double logSumExp(float[] logits, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[off + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(logits[off + i] - max);
        return max + Math.log(s);
    }

    /** -log p(target) under softmax of the row. */
    public static double nll(float[] logits, int off, int n, int target) {
        return logSumExp(logits, off, n) - logits[off + target];
    }

    /** KL(P || Q) where P is the base row and Q the compared row, both softmaxed. */
    public static double kl(float[] base, int bo, float[] cmp, int co, int n) {
        return kl(base, bo, logSumExp(base, bo, n), cmp, co, logSumExp(cmp, co, n), n);
    }

    /** As {@link #kl(float[], int, float[], int, int)} with both rows' {@link #logSumExp} already known. */
    public static double kl(float[] base, int bo, double lseP, float[] cmp, int co, double lseQ, int n) {
        double kl = 0;
        for (int i = 0; i < n; i++) {
            double lp = base[bo + i] - lseP;
            double lq = cmp[co + i] - lseQ;
            kl += Math.exp(lp) * (lp - lq);
        }
        return Math.max(0, kl);
    }

    public static int argmax(float[] logits, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (logits[off + i] > logits[off + best]) best = i;
        return best;
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }
}
