package org.slim4j.compress.prune;

import java.util.Locale;

/**
 * Which weights a pruner may zero: a fraction of the layer anywhere (unstructured), or N kept in every group of M
 * consecutive input channels (semi-structured N:M, the 2:4 pattern sparse tensor cores run).
 *
 * @param sparsity fraction zeroed, 0..1 (for N:M it is 1 - N/M)
 * @param n        kept per group, 0 when unstructured
 * @param m        group width, 0 when unstructured
 */
public record SparsityPattern(double sparsity, int n, int m) {
    public SparsityPattern {
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("sparsity must be in [0, 1), got " + sparsity);
        if (m != 0 && (n <= 0 || n >= m)) throw new IllegalArgumentException("N:M needs 0 < N < M, got " + n + ":" + m);
    }

    public static SparsityPattern unstructured(double sparsity) {
        return new SparsityPattern(sparsity, 0, 0);
    }

    public static SparsityPattern nm(int n, int m) {
        return new SparsityPattern(1 - (double) n / m, n, m);
    }

    public boolean isNm() {
        return m > 0;
    }

    @Override
    public String toString() {
        return isNm() ? n + ":" + m : String.format(Locale.ROOT, "%.0f%% unstructured", 100 * sparsity);
    }
}
