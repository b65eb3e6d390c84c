package org.slim4j.compress.output;

import java.nio.file.Path;
import java.util.Map;
import org.slim4j.compress.CompressedLinear;

/**
 * Writes a compressed model. {@code model} (a BertModel or LlamaModel) already computes with the effective weights;
 * {@code layers} holds what each compressed tensor became (codes, scales, masks...) for writers that store those
 * instead (compressed-tensors pack-quantized). {@link EffectiveWeightsWriter} is the simple one.
 */
public interface CompressedModelWriter {
    /** @param source the model's name as the user gave it (recorded as config.json's _name_or_path), or null */
    void write(Path out, AutoCloseable model, Map<String, CompressedLinear> layers, String source);

    default void write(Path out, AutoCloseable model, Map<String, CompressedLinear> layers) {
        write(out, model, layers, null);
    }
}
