package org.slim4j.compress.lowrank;

import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

/**
 * Truncated SVD (Eckart & Young 1936: the best rank-r approximation in Frobenius norm; as a compression method,
 * Denton et al. 2014). Data-free.
 */
public final class Svd extends Factorization {

    public Svd(RankRule rank) {
        super(rank);
    }

    @Override
    public String name() {
        return "svd";
    }

    @Override
    public Spectrum spectrum(LinearWeight w, InputStats stats) {
        return Spectrum.of(w.w(), w.rows(), w.cols());
    }
}
