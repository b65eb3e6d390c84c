package org.slim4j.compress.lowrank;

import java.util.LinkedHashMap;
import java.util.Map;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.GlobalAllocation;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

/**
 * A factorisation whose ranks come from one parameter budget over every layer it targets ({@link RankBudget}):
 * the budget is what a uniform ratio would hold, and the allocation moves rank to the layers whose spectra lose the
 * most by truncation. Two passes: the probe records every layer's spectrum with the model unchanged, then the
 * layer-wise pass truncates each layer (its spectrum recomputed on the inputs the compressed model really gives it)
 * at its allocated rank.
 */
public final class GlobalRanks extends UsesFactorization implements GlobalAllocation {
    private final double ratio;
    private final SpectrumProbe probe;
    private Map<String, Integer> ranks;

    /** @param ratio factor parameters over dense parameters, summed over the layers */
    public GlobalRanks(Factorization method, double ratio) {
        super(method);
        if (!(ratio > 0 && ratio < 1)) throw new IllegalArgumentException("ratio must be in (0, 1), got " + ratio);
        this.ratio = ratio;
        this.probe = new SpectrumProbe(method);
    }

    @Override
    public String name() {
        return method.name() + " (global ranks)";
    }

    @Override
    public GlobalAllocation globalAllocation() {
        return this;
    }

    @Override
    public Compressor probe() {
        return probe;
    }

    @Override
    public void allocate() {
        Map<String, Spectrum> spectra = probe.spectra();
        ranks = new LinkedHashMap<>(RankBudget.allocate(spectra, RankBudget.uniformBudget(spectra, ratio)));
    }

    /** The allocated rank of every layer (after {@link #allocate}). */
    public Map<String, Integer> ranks() {
        if (ranks == null) throw new IllegalStateException("ranks are allocated after the probe pass");
        return ranks;
    }

    @Override
    public CompressedLinear compress(LinearWeight w, InputStats stats) {
        Integer r = ranks().get(w.name());
        if (r == null) throw new IllegalStateException("the probe pass did not see " + w.name());
        return method.spectrum(w, stats).truncate(r, name());
    }
}
