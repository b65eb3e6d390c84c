package org.slim4j.compress.prune;

import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

/**
 * Wanda (Sun et al. 2023, "A Simple and Effective Pruning Approach for Large Language Models"): score |W_ij| x ||X_j||_2,
 * compared within each output row; no weight update. Needs only per-channel input norms, not the Gram matrix.
 */
public final class Wanda implements Compressor {
    private final SparsityPattern pattern;

    public Wanda(SparsityPattern pattern) {
        this.pattern = pattern;
    }

    @Override
    public boolean prunes() {
        return true;
    }

    @Override
    public String name() {
        return "wanda";
    }

    @Override
    public boolean needsCalibration() {
        return true;
    }

    @Override
    public CompressedLinear compress(LinearWeight w, InputStats stats) {
        if (stats == null) throw new IllegalArgumentException("Wanda needs calibration statistics for " + w.name());
        double[] norm = stats.channelNorms();
        int cols = w.cols();
        double[] score = new double[w.w().length];
        for (int i = 0; i < score.length; i++) score[i] = Math.abs(w.w()[i]) * norm[i % cols];
        boolean[] keep = Masks.select(score, w.rows(), cols, pattern, true);
        return SparseLinear.of(w.rows(), cols, keep, w.w(), pattern, name());
    }
}
