package org.slim4j.compress.lowrank;

import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

/**
 * A low-rank factorisation W ~ A B by a truncated SVD: the methods differ only in which spectrum they truncate
 * ({@link Svd}: W's own; {@link Asvd}: W scaled by activation magnitudes; {@link SvdLlm}: W whitened by the
 * inputs' Gram matrix), so a global rank budget ({@link GlobalRanks}) works with any of them.
 */
public abstract class Factorization implements Compressor {
    private final RankRule rank;

    protected Factorization(RankRule rank) {
        this.rank = rank;
    }

    /** The spectrum this method truncates for {@code w}. */
    public abstract Spectrum spectrum(LinearWeight w, InputStats stats);

    @Override
    public CompressedLinear compress(LinearWeight w, InputStats stats) {
        if (needsCalibration() && stats == null) throw new IllegalArgumentException(name() + " needs calibration statistics of " + w.name() + "'s inputs");
        return spectrum(w, stats).truncate(rank.rank(w), name());
    }
}
