package org.slim4j.compress.prune;

import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

/**
 * Magnitude pruning (Han et al. 2015, "Learning both Weights and Connections"): the smallest |W| go, compared across
 * the whole layer (the baseline of the SparseGPT and Wanda papers) or per output row. Data-free.
 */
public final class Magnitude implements Compressor {
    private final SparsityPattern pattern;
    private final boolean perRow;

    public Magnitude(SparsityPattern pattern) {
        this(pattern, false);
    }

    public Magnitude(SparsityPattern pattern, boolean perRow) {
        this.pattern = pattern;
        this.perRow = perRow;
    }

    @Override
    public boolean prunes() {
        return true;
    }

    @Override
    public String name() {
        return "magnitude";
    }

    @Override
    public CompressedLinear compress(LinearWeight w, InputStats stats) {
        double[] score = new double[w.w().length];
        for (int i = 0; i < score.length; i++) score[i] = Math.abs(w.w()[i]);
        boolean[] keep = Masks.select(score, w.rows(), w.cols(), pattern, perRow);
        return SparseLinear.of(w.rows(), w.cols(), keep, w.w(), pattern, name());
    }
}
