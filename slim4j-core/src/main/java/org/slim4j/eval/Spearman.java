package org.slim4j.eval;

import java.util.Arrays;
import java.util.Comparator;

/** Spearman's rank correlation: Pearson's r of the ranks, tied values sharing their average rank (as scipy does). */
public final class Spearman {
    private Spearman() {}

    /** rho x 100, the way STS results are reported. */
    public static double times100(double[] x, double[] y) {
        return 100 * rho(x, y);
    }

    public static double rho(double[] x, double[] y) {
        if (x.length != y.length || x.length < 2) throw new IllegalArgumentException("need two equal-length series of 2 or more, got " + x.length + " and " + y.length);
        return pearson(ranks(x), ranks(y));
    }

    /** 1-based ranks; a run of equal values gets the mean of the ranks it spans. */
    public static double[] ranks(double[] v) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble(i -> v[i]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) j++;
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) r[order[k]] = avg;
            i = j + 1;
        }
        return r;
    }

    static double pearson(double[] a, double[] b) {
        double ma = Arrays.stream(a).average().orElse(0), mb = Arrays.stream(b).average().orElse(0);
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (a[i] - ma) * (b[i] - mb);
            aa += (a[i] - ma) * (a[i] - ma);
            bb += (b[i] - mb) * (b[i] - mb);
        }
        return ab / Math.sqrt(aa * bb);
    }
}
