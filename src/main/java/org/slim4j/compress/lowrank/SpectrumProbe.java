package org.slim4j.compress.lowrank;

import java.util.LinkedHashMap;
import java.util.Map;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;

/**
 * A pass of the layer-wise pipeline that changes nothing and records each layer's (whitened) spectrum: the first of
 * the two passes a global rank budget needs, since {@link RankBudget} must see every layer before any is cut.
 */
public final class SpectrumProbe implements Compressor {
    private final boolean activationAware;
    private final Map<String, Spectrum> spectra = new LinkedHashMap<>();

    public SpectrumProbe(boolean activationAware) {
        this.activationAware = activationAware;
    }

    public Map<String, Spectrum> spectra() {
        return spectra;
    }

    @Override
    public String name() {
        return "spectrum-probe";
    }

    @Override
    public boolean needsGram() {
        return activationAware;
    }

    @Override
    public CompressedLinear compress(LinearWeight w, InputStats stats) {
        spectra.put(w.name(), Spectrum.of(w.w(), w.rows(), w.cols(), activationAware ? stats.gram() : null));
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
