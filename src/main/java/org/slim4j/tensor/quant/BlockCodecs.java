package org.slim4j.tensor.quant;

import java.util.EnumMap;
import java.util.Map;
import org.slim4j.tensor.DType;

/** The codec for each block type. */
public final class BlockCodecs {
    private static final Map<DType, BlockCodec> CODECS = new EnumMap<>(DType.class);

    static {
        // filled in by the block-type implementations
    }

    private BlockCodecs() {}

    public static BlockCodec of(DType type) {
        BlockCodec c = CODECS.get(type);
        if (c == null) throw new UnsupportedOperationException("no decoder for " + type + " yet");
        return c;
    }
}
