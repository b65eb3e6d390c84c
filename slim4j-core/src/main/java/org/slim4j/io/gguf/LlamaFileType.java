package org.slim4j.io.gguf;

import org.slim4j.tensor.DType;

/**
 * llama.cpp's llama_ftype values (general.file_type) for the types slim4j can quantize to, each with the block
 * type that llama-quantize --pure gives every weight matrix. The _S/_M/_L variants differ only in llama.cpp's
 * per-tensor mix ({@link LlamaTensorMix}); in pure mode they share their base type.
 */
public enum LlamaFileType {
    ALL_F32(0, DType.F32),
    MOSTLY_F16(1, DType.F16),
    MOSTLY_Q4_0(2, DType.Q4_0),
    MOSTLY_Q4_1(3, DType.Q4_1),
    MOSTLY_Q8_0(7, DType.Q8_0),
    MOSTLY_Q5_0(8, DType.Q5_0),
    MOSTLY_Q5_1(9, DType.Q5_1),
    MOSTLY_Q2_K(10, DType.Q2_K),
    MOSTLY_Q3_K_S(11, DType.Q3_K),
    MOSTLY_Q3_K_M(12, DType.Q3_K),
    MOSTLY_Q3_K_L(13, DType.Q3_K),
    MOSTLY_Q4_K_S(14, DType.Q4_K),
    MOSTLY_Q4_K_M(15, DType.Q4_K),
    MOSTLY_Q5_K_S(16, DType.Q5_K),
    MOSTLY_Q5_K_M(17, DType.Q5_K),
    MOSTLY_Q6_K(18, DType.Q6_K),
    MOSTLY_Q2_K_S(21, DType.Q2_K),
    MOSTLY_IQ4_NL(25, DType.IQ4_NL),
    MOSTLY_IQ4_XS(30, DType.IQ4_XS),
    MOSTLY_BF16(32, DType.BF16);

    public final int id;
    public final DType matrixType;

    LlamaFileType(int id, DType matrixType) {
        this.id = id;
        this.matrixType = matrixType;
    }

    /** The file type llama-quantize names for an all-{@code t} model (the _S variant where there are several). */
    public static LlamaFileType pure(DType t) {
        for (LlamaFileType f : values()) if (f.matrixType == t) return f;
        throw new IllegalArgumentException("no llama.cpp file type for " + t);
    }

    /** By llama-quantize's name, e.g. "Q4_K_M", "Q8_0", "F16". */
    public static LlamaFileType byName(String name) {
        String n = name.toUpperCase(java.util.Locale.ROOT);
        for (LlamaFileType f : values()) {
            if (f.name().equals("MOSTLY_" + n) || f.name().equals(n) || (n.equals("F32") && f == ALL_F32)) return f;
        }
        throw new IllegalArgumentException("unknown llama.cpp file type '" + name + "'");
    }
}
