package org.slim4j.compress.lowrank;

import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

/**
 * SVD-LLM (Wang et al. 2024, "SVD-LLM: Truncation-aware Singular Value Decomposition for Large Language Model
 * Compression"): the SVD of W S with S the Cholesky factor of X^T X (truncation-aware whitening), truncated, then
 * multiplied back by S^-1, so the discarded singular values are exactly the layer's output error on the calibration
 * set. See {@link Spectrum}. (ASVD, which scales by activation magnitudes instead, is {@link Asvd}.)
 */
public final class SvdLlm extends Factorization {

    public SvdLlm(RankRule rank) {
        super(rank);
    }

    @Override
    public String name() {
        return "svd-llm";
    }

    @Override
    public boolean needsGram() {
        return true;
    }

    @Override
    public Spectrum spectrum(LinearWeight w, InputStats stats) {
        if (stats == null || !stats.hasGram()) throw new IllegalArgumentException("SVD-LLM needs the Gram matrix of " + w.name() + "'s inputs");
        return Spectrum.of(w.w(), w.rows(), w.cols(), stats.gram());
    }
}
