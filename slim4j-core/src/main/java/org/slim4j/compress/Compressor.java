package org.slim4j.compress;

import org.slim4j.tensor.quant.QuantScheme;

/**
 * A compression method of the literature applied to one linear layer: quantizers, pruners and factorizations all
 * implement this, each as one small class named after its method (Rtn, Gptq, Awq, Wanda, SparseGpt, Svd, ...).
 * Calibration-aware methods read {@link InputStats}; data-free ones ignore it.
 */
public interface Compressor {

    /** The method's name as recipes and reports spell it. */
    String name();

    /** Whether {@link InputStats} must carry the Gram matrix X^T X (costly: cols^2 doubles). */
    default boolean needsGram() {
        return false;
    }

    /** Whether the method needs calibration statistics at all. */
    default boolean needsCalibration() {
        return needsGram();
    }

    /** @param stats the layer's input statistics, or null when calibration was not run and not needed */
    CompressedLinear compress(LinearWeight weight, InputStats stats);

    /**
     * What to use where no inputs can be observed (a lookup table such as an embedding): this method itself when it
     * is data-free, else its data-free counterpart (GPTQ and AWQ fall back to RTN with the same scheme), or null.
     */
    default Compressor dataFree() {
        return needsCalibration() ? null : this;
    }

    /**
     * Whether this method zeroes weights (a pruner): a quantizer that follows it in a recipe keeps its mask instead
     * of refilling the pruned weights.
     */
    default boolean prunes() {
        return false;
    }

    /** The integer grid of a plain quantizer, through which a pruner's mask can be kept (zero lies on every grid); else null. */
    default QuantScheme grid() {
        return null;
    }

    /**
     * Whether this quantizer spreads each rounding error over the columns not yet quantized (GPTQ's OBS pass): a kept
     * mask then goes through the same pass with the mask fixed.
     */
    default boolean feedsErrorBack() {
        return false;
    }

    /** Input-channel scaling that a preceding norm can absorb for every layer reading it (AWQ), or null. */
    default InputScaling inputScaling() {
        return null;
    }

    /** A per-layer choice made from every layer's statistics at once (a global budget), or null. */
    default GlobalAllocation globalAllocation() {
        return null;
    }
}
