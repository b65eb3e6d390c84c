package org.slim4j.compress.calib;

import java.util.List;
import org.slim4j.compress.LinearWeight;
import org.slim4j.model.LinearHook;

/**
 * A model seen block by block over a fixed calibration batch: what the layer-wise pipeline needs (GPTQ's
 * sequential scheme). The batch's hidden states come from {@link #embed()} and go through {@link #forward} one block
 * at a time, so memory holds one block's statistics plus the activations, never the whole model's.
 * Weights are named as in the checkpoint; {@link #setWeight} makes the model compute with new values from then on.
 */
public interface BlockModel {
    int blocks();

    /** Names of the linear layers of block b, in the order they compute. */
    List<String> linears(int block);

    /** Tensors outside the blocks that recipes may target (embeddings, an untied output matrix): compressed data-free. */
    List<String> extraTensors();

    /** The current weight of a named linear layer or extra tensor, float32 [rows, cols]. */
    LinearWeight weight(String name);

    void setWeight(String name, float[] values);

    /** Hidden states of the calibration batch entering block 0: [tokens, hidden]. */
    float[] embed();

    /** Block b over the calibration batch, x updated in place; {@code hook} (may be null) sees each linear's input. */
    void forward(int block, float[] x, LinearHook hook);

    /**
     * The norm whose output only this linear and its siblings read, so that a per-input-channel scale can be folded
     * into it (a pre-norm decoder's q/k/v and gate/up), or null. BERT's post-norm output is also the residual stream,
     * so it has none.
     */
    default String inputNorm(String linear) {
        return null;
    }

    /**
     * Gives back the memory of the weights set on these tensors ({@link #setWeight}), the model computing with its
     * original ones again: for a pass that has handed every compressed tensor to its sink and will not run them again.
     */
    default void restore(List<String> names) {
    }

    /** Divides the named norm's weight (and bias, if any) by s, channel by channel. */
    default void divideNorm(String norm, float[] s) {
        throw new UnsupportedOperationException("no foldable norm " + norm);
    }
}
