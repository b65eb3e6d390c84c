package org.slim4j.compress.lowrank;

import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

/**
 * A compressed weight plus a low-rank correction of what compression lost: W ~ C(W) + L R with L R the rank-r SVD of
 * W - C(W) (LQ-LoRA, Guo et al. 2023; with stats carrying the Gram matrix, whitened by the calibration inputs so
 * the rank goes to the error directions the inputs excite, as EoRA, Liu et al. 2024, projects onto the
 * activations' eigenspace). {@code base} is any method: a quantizer (Rtn, GPTQ) or a pruner.
 */
public final class LowRankCorrected implements Compressor {
    private final Compressor base;
    private final RankRule rank;
    private final boolean activationAware;

    public LowRankCorrected(Compressor base, RankRule rank, boolean activationAware) {
        this.base = base;
        this.rank = rank;
        this.activationAware = activationAware;
    }

    @Override
    public String name() {
        return base.name() + (activationAware ? "+eora" : "+lqlora");
    }

    @Override
    public boolean needsGram() {
        return activationAware || base.needsGram();
    }

    @Override
    public boolean needsCalibration() {
        return needsGram() || base.needsCalibration();
    }

    @Override
    public CompressedLinear compress(LinearWeight w, InputStats stats) {
        CompressedLinear c = base.compress(w, stats);
        float[] residual = w.w().clone(), q = c.effectiveWeight();
        for (int i = 0; i < residual.length; i++) residual[i] -= q[i];
        double[] gram = activationAware ? stats.gram() : null;
        LowRankLinear lr = Spectrum.of(residual, w.rows(), w.cols(), gram).truncate(rank.rank(w), name());
        return new SumLinear(c, lr, name());
    }
}
