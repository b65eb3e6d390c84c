package org.slim4j.compress.lowrank;

import org.slim4j.compress.CompressedLinear;

/**
 * A weight stored as the sum of two compressed parts: low-rank + sparse residual (W ~ L R + S), or a quantized
 * weight + its low-rank correction (W ~ Q(W) + L R). Storage is both parts'; a kernel runs both and adds.
 */
public record SumLinear(CompressedLinear base, LowRankLinear lowRank, String method) implements CompressedLinear {
    public SumLinear {
        if (base.rows() != lowRank.rows() || base.cols() != lowRank.cols()) throw new IllegalArgumentException("parts differ in shape");
    }

    @Override
    public float[] effectiveWeight() {
        float[] w = base.effectiveWeight(), l = lowRank.effectiveWeight();
        for (int i = 0; i < w.length; i++) w[i] += l[i];
        return w;
    }

    @Override
    public int rows() {
        return base.rows();
    }

    @Override
    public int cols() {
        return base.cols();
    }

    @Override
    public long storageBits() {
        return base.storageBits() + lowRank.storageBits();
    }

    @Override
    public String describe() {
        return base.describe() + " + " + lowRank.describe() + " [" + method + "]";
    }
}
