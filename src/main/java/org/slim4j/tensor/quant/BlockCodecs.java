package org.slim4j.tensor.quant;

import java.util.EnumMap;
import java.util.Map;
import org.slim4j.tensor.DType;

/** The codec for each block type. */
public final class BlockCodecs {
    private static final Map<DType, BlockCodec> CODECS = new EnumMap<>(DType.class);

    static {
        for (BlockCodec c : new BlockCodec[] {
            new Q4_0Codec(), new Q4_1Codec(), new Q5_0Codec(), new Q5_1Codec(), new Q8_0Codec(), new Q8_1Codec(),
            new Q2_KCodec(), new Q3_KCodec(), new Q4_KCodec(), new Q5_KCodec(), new Q6_KCodec(), new Q8_KCodec()}) {
            CODECS.put(c.type(), c);
        }
    }

    private BlockCodecs() {}

    public static BlockCodec of(DType type) {
        BlockCodec c = CODECS.get(type);
        if (c == null) throw new UnsupportedOperationException("no decoder for " + type + " yet");
        return c;
    }
}
