package org.slim4j.io.compressed;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.Arena;
import java.util.Optional;
import java.util.Set;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.tensor.Tensor;

/** Decoding side of {@link Slim4jExtension}: which tensors belong to extension layers, and their dense weights. */
final class Slim4jLayers {
    private Slim4jLayers() {}

    /** True for tensors an extension layer stores in a non-standard form (dense layers are plain weights). */
    static boolean owns(JsonNode ext, String tensor) {
        return false;
    }

    static Optional<Tensor> decode(SafetensorsFile f, JsonNode ext, String tensor, Arena arena, Set<String> consumed) {
        return Optional.empty();
    }
}
