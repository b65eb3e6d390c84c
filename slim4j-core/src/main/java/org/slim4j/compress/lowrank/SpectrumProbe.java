package org.slim4j.compress.lowrank;

import java.util.LinkedHashMap;
import java.util.Map;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

/**
 * A pass of the layer-wise pipeline that changes nothing and records each layer's spectrum as a factorisation
 * method computes it: the first of the two passes a global rank budget needs, since {@link RankBudget} must see
 * every layer before any is cut.
 */
public final class SpectrumProbe extends UsesFactorization {
    private final Map<String, Spectrum> spectra = new LinkedHashMap<>();

    public SpectrumProbe(Factorization method) {
        super(method);
    }

    /** Plain spectra, or whitened ones (SVD-LLM's) when {@code activationAware}. */
    public SpectrumProbe(boolean activationAware) {
        this(activationAware ? new SvdLlm(RankRule.ratio(0.5)) : new Svd(RankRule.ratio(0.5)));
    }

    public Map<String, Spectrum> spectra() {
        return spectra;
    }

    @Override
    public String name() {
        return "spectrum-probe";
    }

    @Override
    public CompressedLinear compress(LinearWeight w, InputStats stats) {
        spectra.put(w.name(), method.spectrum(w, stats));
        float[] values = w.w();
        return new CompressedLinear() {
            public float[] effectiveWeight() {
                return values.clone();
            }

            public int rows() {
                return w.rows();
            }

            public int cols() {
                return w.cols();
            }

            public long storageBits() {
                return 32L * values.length;
            }

            public String describe() {
                return "unchanged (spectrum recorded)";
            }
        };
    }
}
