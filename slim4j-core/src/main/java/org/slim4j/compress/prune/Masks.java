package org.slim4j.compress.prune;

import java.util.Arrays;

/**
 * Turning importance scores into keep-masks; lower score = pruned first. Ties break by index so that results are
 * reproducible. Shared by every pruner so that they differ only in their scores.
 */
final class Masks {
    private Masks() {}

    /** Keep-mask over the whole matrix, or per output row when {@code perRow} (Wanda's comparison group). */
    static boolean[] select(double[] score, int rows, int cols, SparsityPattern p, boolean perRow) {
        if (p.isNm()) return nm(score, rows, cols, p.n(), p.m());
        boolean[] keep = new boolean[rows * cols];
        Arrays.fill(keep, true);
        if (perRow) {
            for (int r = 0; r < rows; r++) pruneSmallest(score, keep, range(r * cols, cols), p.sparsity());
        } else {
            pruneSmallest(score, keep, range(0, rows * cols), p.sparsity());
        }
        return keep;
    }

    /** In every row, the N highest-scoring of each M consecutive columns survive. */
    static boolean[] nm(double[] score, int rows, int cols, int n, int m) {
        if (cols % m != 0) throw new IllegalArgumentException(cols + " input channels are not a multiple of M = " + m);
        boolean[] keep = new boolean[rows * cols];
        Integer[] idx = new Integer[m];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols; g += m) {
                int base = r * cols + g;
                for (int i = 0; i < m; i++) idx[i] = i;
                Arrays.sort(idx, (a, b) -> score[base + a] != score[base + b] ? Double.compare(score[base + b], score[base + a]) : Integer.compare(a, b));
                for (int i = 0; i < n; i++) keep[base + idx[i]] = true;
            }
        }
        return keep;
    }

    /** Prunes the floor(idx.length * sparsity) lowest-scored entries among {@code idx}; ties go in index order. */
    static void pruneSmallest(double[] score, boolean[] keep, int[] idx, double sparsity) {
        int prune = (int) Math.floor(idx.length * sparsity);
        if (prune == 0) return;
        double[] sorted = new double[idx.length];
        for (int i = 0; i < idx.length; i++) sorted[i] = score[idx[i]];
        Arrays.sort(sorted);
        double threshold = sorted[prune - 1];
        int below = 0;
        for (double v : sorted) if (v < threshold) below++;
        int ties = prune - below; // entries equal to the threshold that must go too
        for (int i : idx) {
            if (score[i] < threshold) keep[i] = false;
            else if (score[i] == threshold && ties > 0) {
                keep[i] = false;
                ties--;
            }
        }
    }

    static int[] range(int from, int count) {
        int[] r = new int[count];
        for (int i = 0; i < count; i++) r[i] = from + i;
        return r;
    }

    /** The indices of columns [c0, c1) of every row. */
    static int[] columns(int rows, int cols, int c0, int c1) {
        int[] r = new int[rows * (c1 - c0)];
        int k = 0;
        for (int row = 0; row < rows; row++) for (int c = c0; c < c1; c++) r[k++] = row * cols + c;
        return r;
    }
}
