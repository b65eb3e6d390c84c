package org.slim4j.compress;

/**
 * A linear layer after compression: the weight the compressed model computes with, and what storing it costs.
 * Concrete forms (quantized codes with scales, sparse mask and values, low-rank factors, or compositions of these)
 * also know how to write themselves; evaluation needs only the effective weight.
 */
public interface CompressedLinear {

    /** The effective weight [rows, cols] (dequantized / densified / multiplied out). */
    float[] effectiveWeight();

    int rows();

    int cols();

    /** Bits needed to store this layer, everything included (codes, scales, zero points, masks, factors). */
    long storageBits();

    /** One line for reports, e.g. "int4 g32 asym (GPTQ)", "50% unstructured (Wanda)", "rank 96 (ASVD)". */
    String describe();

    default double bitsPerWeight() {
        return (double) storageBits() / ((long) rows() * cols());
    }
}
