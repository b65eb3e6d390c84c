package org.slim4j.compress.lowrank;

import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

/**
 * ASVD (Yuan et al. 2023, "ASVD: Activation-aware Singular Value Decomposition for Compressing Large Language
 * Models"): W is scaled per input channel by S = diag(mean|x_j|^alpha) before the SVD and the truncated factors are
 * multiplied back by S^-1, so the channels that carry large activations keep more of their weight. Needs only the
 * per-channel mean |x| of the calibration inputs (no Gram matrix). alpha = 0.5 as in the paper.
 */
public final class Asvd extends Factorization {
    /** The paper's default exponent. */
    public static final double ALPHA = 0.5;
    private final double alpha;

    public Asvd(RankRule rank, double alpha) {
        super(rank);
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        this.alpha = alpha;
    }

    public Asvd(RankRule rank) {
        this(rank, ALPHA);
    }

    @Override
    public String name() {
        return "asvd";
    }

    @Override
    public boolean needsCalibration() {
        return true;
    }

    @Override
    public Spectrum spectrum(LinearWeight w, InputStats stats) {
        if (stats == null) throw new IllegalArgumentException("ASVD needs calibration statistics of " + w.name() + "'s inputs");
        double[] act = stats.meanAbs(), s = new double[act.length];
        double floor = 0;
        for (double a : act) floor = Math.max(floor, a);
        floor = Math.max(1e-6 * floor, 1e-30); // a channel never seen active still needs a finite scale
        for (int j = 0; j < s.length; j++) s[j] = Math.pow(Math.max(act[j], floor), alpha);
        return Spectrum.scaled(w.w(), w.rows(), w.cols(), s);
    }
}
