package org.slim4j.tensor.kernel;

import java.util.Arrays;
import java.util.Locale;
import org.slim4j.tensor.DType;

/**
 * What a decoder's KV cache stores per key or value row, named as llama.cpp's {@code --cache-type-k/-v} name them
 * (f32, f16, q8_0, q4_0: each head's row in that ggml type, quantized as it is written), plus KIVI (Liu et al., "KIVI:
 * A Tuning-Free Asymmetric 2bit Quantization for KV Cache", 2024): 4 or 2 bits, asymmetric, keys per channel over
 * groups of tokens and values per token over groups of channels, the most recent tokens kept in full precision
 * ({@link KvCacheOptions}).
 */
public enum KvCacheType {
    F32(DType.F32, 0),
    F16(DType.F16, 0),
    Q8_0(DType.Q8_0, 0),
    Q4_0(DType.Q4_0, 0),
    KIVI4(null, 4),
    KIVI2(null, 2);

    /** The ggml type each row is stored in, or null for KIVI. */
    public final DType rowType;
    /** KIVI's bits per value, or 0. */
    public final int kiviBits;

    KvCacheType(DType rowType, int kiviBits) {
        this.rowType = rowType;
        this.kiviBits = kiviBits;
    }

    /** The name on the command line: f32, f16, q8_0, q4_0, kivi4, kivi2. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean kivi() {
        return kiviBits > 0;
    }

    /** True for the block-quantized types a Hadamard rotation applies to. */
    public boolean blockQuantized() {
        return rowType != null && rowType.isQuantized();
    }

    public static KvCacheType byName(String name) {
        for (KvCacheType t : values()) if (t.cliName().equals(name.toLowerCase(Locale.ROOT))) return t;
        throw new IllegalArgumentException("unknown cache type '" + name + "' (" + String.join(", ", Arrays.stream(values()).map(KvCacheType::cliName).toList()) + ")");
    }
}
