package org.slim4j.compress.lowrank;

import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;
import org.slim4j.compress.prune.Magnitude;
import org.slim4j.compress.prune.SparseLinear;
import org.slim4j.compress.prune.SparsityPattern;

/**
 * W ~ L R + S (sparse plus low-rank, as DSFormer / SLTrain parameterise weights; fitted here post hoc by alternating
 * projections, as in robust-PCA-style decompositions): L R = best rank-r fit of W - S, then S = the largest entries
 * of W - L R, repeated. The low-rank part carries the smooth bulk, the sparse part the outliers SVD cannot reach.
 * Activation-aware, the low-rank step is whitened by the inputs' Gram matrix as SVD-LLM does (see {@link Spectrum}). Starts from S = 0.
 */
public final class SparsePlusLowRank implements Compressor {
    private final RankRule rank;
    private final double density;
    private final int iterations;
    private final boolean activationAware;

    /** @param density fraction of weights the sparse residual keeps */
    public SparsePlusLowRank(RankRule rank, double density, int iterations, boolean activationAware) {
        this.rank = rank;
        this.density = density;
        this.iterations = iterations;
        this.activationAware = activationAware;
    }

    @Override
    public String name() {
        return activationAware ? "svd-llm+sparse" : "svd+sparse";
    }

    @Override
    public boolean needsGram() {
        return activationAware;
    }

    @Override
    public CompressedLinear compress(LinearWeight w, InputStats stats) {
        double[] gram = activationAware ? stats.gram() : null;
        int r = rank.rank(w);
        float[] s = new float[w.w().length];
        SumLinear best = null;
        for (int it = 0; it < Math.max(1, iterations); it++) {
            float[] residual = w.w().clone();
            for (int i = 0; i < residual.length; i++) residual[i] -= s[i];
            LowRankLinear lr = Spectrum.of(residual, w.rows(), w.cols(), gram).truncate(r, name());
            float[] l = lr.effectiveWeight();
            float[] rest = w.w().clone();
            for (int i = 0; i < rest.length; i++) rest[i] -= l[i];
            SparseLinear sp = (SparseLinear) new Magnitude(SparsityPattern.unstructured(1 - density)).compress(w.withValues(rest), null);
            s = sp.effectiveWeight();
            best = new SumLinear(sp, lr, name());
        }
        return best;
    }
}
