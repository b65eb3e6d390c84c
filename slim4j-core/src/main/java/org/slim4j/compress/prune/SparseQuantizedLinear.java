package org.slim4j.compress.prune;

import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.quant.QuantizedLinear;

/**
 * A pruned weight whose kept values are integer codes: the mask from {@code sparse}, codes and group scales from
 * {@code quant} (its codes at pruned positions are meaningless). Storage is what the writer puts in the file: plain
 * pack-quantized codes for every entry, the pruned ones at the zero point, plus scales and zero points (as
 * compressed-tensors stores weight-only packed quantization; see docs/FORMATS.md). A kept-codes-only layout such as
 * marlin-24 would save a bit per weight at 2:4, but slim4j does not write one, so it is not counted.
 */
public record SparseQuantizedLinear(SparseLinear sparse, QuantizedLinear quant) implements CompressedLinear {

    @Override
    public float[] effectiveWeight() {
        float[] w = quant.effectiveWeight();
        boolean[] keep = sparse.keep();
        for (int i = 0; i < w.length; i++) if (!keep[i]) w[i] = 0;
        return w;
    }

    @Override
    public int rows() {
        return sparse.rows();
    }

    @Override
    public int cols() {
        return sparse.cols();
    }

    @Override
    public long storageBits() {
        return quant.storageBits();
    }

    @Override
    public String describe() {
        return sparse.pattern() + " + " + quant.scheme() + " (" + sparse.method() + ")";
    }
}
