package org.slim4j.tensor.quant;

import java.util.EnumMap;
import java.util.Map;
import org.slim4j.tensor.DType;

/** The decoder and the encoder for each block type. */
public final class BlockCodecs {
    private static final Map<DType, BlockCodec> CODECS = new EnumMap<>(DType.class);

    static {
        for (BlockCodec c : new BlockCodec[] {
            new Q4_0Codec(), new Q4_1Codec(), new Q5_0Codec(), new Q5_1Codec(), new Q8_0Codec(), new Q8_1Codec(),
            new Q2_KCodec(), new Q3_KCodec(), new Q4_KCodec(), new Q5_KCodec(), new Q6_KCodec(), new Q8_KCodec(),
            new IQ4_NLCodec(), new IQ4_XSCodec(), new IQ3_XXSCodec(), new IQ3_SCodec(), new IQ2_XXSCodec(), new IQ2_XSCodec(),
            new IQ2_SCodec(), new IQ1_SCodec()}) {
            CODECS.put(c.type(), c);
        }
    }

    private static final Map<DType, BlockEncoder> ENCODERS = new EnumMap<>(DType.class);

    static {
        for (BlockEncoder e : new BlockEncoder[] {
            new Q4_0Encoder(), new Q4_1Encoder(), new Q5_0Encoder(), new Q5_1Encoder(), new Q8_0Encoder(),
            new Q2_KEncoder(), new Q3_KEncoder(), new Q4_KEncoder(), new Q5_KEncoder(), new Q6_KEncoder(), new Q8_KEncoder(),
            new Iq4Quantizer(DType.IQ4_NL), new Iq4Quantizer(DType.IQ4_XS)}) {
            ENCODERS.put(e.type(), e);
        }
    }

    private BlockCodecs() {}

    public static BlockCodec of(DType type) {
        BlockCodec c = CODECS.get(type);
        if (c == null) throw new UnsupportedOperationException("no decoder for " + type + " yet");
        return c;
    }

    /**
     * The quantizer llama-quantize uses for a block type without an importance matrix (every block type but Q8_1, which
     * only activations use, and the grid i-quants, which slim4j reads but does not write).
     */
    public static BlockEncoder encoder(DType type) {
        BlockEncoder e = ENCODERS.get(type);
        if (e == null) throw new UnsupportedOperationException("no encoder for " + type);
        return e;
    }

    public static boolean canEncode(DType type) {
        return ENCODERS.containsKey(type);
    }
}
