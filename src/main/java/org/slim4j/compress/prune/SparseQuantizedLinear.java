package org.slim4j.compress.prune;

import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.quant.QuantizedLinear;

/**
 * A pruned weight whose kept values are integer codes: the mask from {@code sparse}, codes and group scales from
 * {@code quant} (its codes at pruned positions are meaningless). Storage: the pattern's mask layout plus codes of the
 * kept weights only (2:4: half the codes, as sparse-24 int4 kernels pack them) plus the scales and zero points.
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
        long mask = (long) rows() * ((cols() + 7) / 8) * 8;
        long kept = sparse.is24() ? (long) rows() * cols() / 2 : sparse.values().length;
        long params = quant.storageBits() - (long) rows() * cols() * quant.scheme().bits();
        return mask + kept * quant.scheme().bits() + params + (sparse.is24() ? 0 : 32L * rows());
    }

    @Override
    public String describe() {
        return sparse.pattern() + " + " + quant.scheme() + " (" + sparse.method() + ")";
    }
}
