package org.slim4j.compress.lowrank;

import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

/**
 * Activation-aware SVD with truncation-aware whitening (SVD-LLM, Wang et al. 2024; after ASVD, Yuan et al. 2023):
 * the SVD of W S with S the Cholesky factor of X^T X, truncated, then multiplied back by S^-1, so the discarded
 * singular values are exactly the layer's output error on the calibration set. See {@link Spectrum}.
 */
public final class Asvd implements Compressor {
    private final RankRule rank;

    public Asvd(RankRule rank) {
        this.rank = rank;
    }

    @Override
    public String name() {
        return "asvd";
    }

    @Override
    public boolean needsGram() {
        return true;
    }

    @Override
    public CompressedLinear compress(LinearWeight w, InputStats stats) {
        if (stats == null || !stats.hasGram()) throw new IllegalArgumentException("ASVD needs the Gram matrix of " + w.name() + "'s inputs");
        return Spectrum.of(w.w(), w.rows(), w.cols(), stats.gram()).truncate(rank.rank(w), name());
    }
}
