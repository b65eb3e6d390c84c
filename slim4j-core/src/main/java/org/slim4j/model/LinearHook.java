package org.slim4j.model;

/**
 * Sees the input of linear layers during a block-level forward pass (calibration). Layers that share one input
 * (BERT's and Llama's q/k/v, Llama's gate/up) are reported once, together, so their statistics are gathered once.
 * {@code x} is the model's scratch buffer: read it during the call, do not keep it.
 */
@FunctionalInterface
public interface LinearHook {
    /** @param linears the weight names of the layers that read {@code x} [n, cols] */
    void input(String[] linears, float[] x, int n);
}
