package org.slim4j.compress;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The result of several compressors applied one after another to a layer (prune, then quantize what is left):
 * the last stage saw every earlier stage's effective weight, so its weight and its storage are the layer's.
 */
public record StagedLinear(List<CompressedLinear> stages) implements CompressedLinear {
    public StagedLinear {
        if (stages.isEmpty()) throw new IllegalArgumentException("no stages");
        stages = List.copyOf(stages);
    }

    public CompressedLinear last() {
        return stages.getLast();
    }

    @Override
    public float[] effectiveWeight() {
        return last().effectiveWeight();
    }

    @Override
    public int rows() {
        return last().rows();
    }

    @Override
    public int cols() {
        return last().cols();
    }

    @Override
    public long storageBits() {
        return last().storageBits();
    }

    @Override
    public String describe() {
        return stages.stream().map(CompressedLinear::describe).collect(Collectors.joining(" -> "));
    }
}
