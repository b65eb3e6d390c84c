package org.slim4j.compress;

import java.util.List;

/**
 * Which compressors apply to which tensor, in order: a recipe's stages resolved for one tensor name
 * (e.g. [Wanda 50%, GPTQ int4] prunes then quantizes within the same layer-wise pass). Empty: left as it is.
 */
@FunctionalInterface
public interface CompressionPlan {
    List<Compressor> stagesFor(String tensorName);

    /** One method for every tensor. */
    static CompressionPlan all(Compressor c) {
        return name -> List.of(c);
    }
}
