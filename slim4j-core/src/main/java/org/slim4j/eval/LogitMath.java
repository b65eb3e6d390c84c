package org.slim4j.eval;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.tensor.kernel.NativeKernels;
import org.slim4j.tensor.kernel.VectorExp;

/** Per-position statistics over rows of logits, in double precision (llama.cpp's perplexity/KL formulas). */
public final class LogitMath {
    private LogitMath() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, VectorShape.forBitSize(F.vectorBitSize()));
    /**
     * The C versions ({@code slim4j_rows.c}: the same arithmetic) where the C kernels run: an evaluation's first chunk
     * spent 0.4 s here in the Vector API's Java fallback before C2 compiled it, against 0.01 s once compiled.
     */
    private static final boolean C = EngineOptions.defaults().cKernels() && NativeKernels.available();

    /**
     * log(sum(exp(row))) of logits[off..off+n), stable: llama.cpp's {@code log_softmax} arithmetic (exp in float of the
     * logit minus the row's max, summed in double), vectorised: {@link VectorExp}, each float lane widened before
     * it is added.
     */
    public static double logSumExp(float[] logits, int off, int n) {
        return C ? NativeKernels.logSumExp(logits, off, n) : logSumExpJava(logits, off, n);
    }

    /** The Java version of {@link #logSumExp}, the oracle of the C one. */
    static double logSumExpJava(float[] logits, int off, int n) {
        int up = F.loopBound(n), i = 0;
        FloatVector vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (; i < up; i += F.length()) vmax = vmax.max(FloatVector.fromArray(F, logits, off + i));
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) max = Math.max(max, logits[off + i]);
        DoubleVector s0 = DoubleVector.zero(D), s1 = DoubleVector.zero(D);
        for (i = 0; i < up; i += F.length()) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(F, logits, off + i).sub(max));
            s0 = s0.add(e.convertShape(VectorOperators.F2D, D, 0));
            s1 = s1.add(e.convertShape(VectorOperators.F2D, D, 1));
        }
        double s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += Math.exp(logits[off + i] - max);
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

    /**
     * As {@link #kl(float[], int, float[], int, int)} with both rows' {@link #logSumExp} already known: sum of p (log p -
     * log q), p's exp in float (of the log-probability taken against lseP split into two floats), the log-ratio as
     * (base - cmp) - (lseP - lseQ) (the logits' difference is exact in float where they are close), each product
     * widened to double before it is added.
     */
    public static double kl(float[] base, int bo, double lseP, float[] cmp, int co, double lseQ, int n) {
        return C ? NativeKernels.kl(base, bo, lseP, cmp, co, lseQ, n) : klJava(base, bo, lseP, cmp, co, lseQ, n);
    }

    /** The Java version of the KL above, the oracle of the C one. */
    static double klJava(float[] base, int bo, double lseP, float[] cmp, int co, double lseQ, int n) {
        int up = F.loopBound(n), i = 0;
        // lseP as hi + lo: where p is large, the logit is near hi and their difference exact
        float hi = (float) lseP, lo = (float) (lseP - hi), dl = (float) (lseP - lseQ);
        DoubleVector s0 = DoubleVector.zero(D), s1 = DoubleVector.zero(D);
        for (; i < up; i += F.length()) {
            FloatVector b = FloatVector.fromArray(F, base, bo + i);
            FloatVector p = VectorExp.exp(b.sub(hi).sub(lo));
            FloatVector t = p.mul(b.sub(FloatVector.fromArray(F, cmp, co + i)).sub(dl));
            s0 = s0.add(t.convertShape(VectorOperators.F2D, D, 0));
            s1 = s1.add(t.convertShape(VectorOperators.F2D, D, 1));
        }
        double kl = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
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
