package org.slim4j.tensor;

import java.util.Arrays;
import java.util.Optional;

/**
 * Every element type slim4j reads or writes, with its block layout: the one table that loaders, writers,
 * kernels and quantizers agree on. Block sizes and byte sizes follow ggml's type traits (ggml.c);
 * safetensors names follow the safetensors format README.
 */
public enum DType {
    //     ggml id, safetensors name, elements per block, bytes per block
    F32(0, "F32", 1, 4),
    F16(1, "F16", 1, 2),
    Q4_0(2, null, 32, 18),    // fp16 d; 16 bytes of 4-bit q; x = d * (q - 8)
    Q4_1(3, null, 32, 20),    // fp16 d, m; 16 bytes of 4-bit q; x = d * q + m
    Q5_0(6, null, 32, 22),    // fp16 d; 4 bytes of high bits; 16 bytes of low nibbles; x = d * (q - 16)
    Q5_1(7, null, 32, 24),    // fp16 d, m; high bits; low nibbles; x = d * q + m
    Q8_0(8, null, 32, 34),    // fp16 d; 32 int8; x = d * q
    Q8_1(9, null, 32, 36),    // fp16 d, s (= d * sum q); 32 int8
    Q2_K(10, null, 256, 84),  // 16 x (4-bit scale, 4-bit min); 64 bytes of 2-bit q; fp16 d, dmin
    Q3_K(11, null, 256, 110), // 32 bytes high-bit mask; 64 bytes of 2-bit q; 12 bytes of 6-bit scales; fp16 d
    Q4_K(12, null, 256, 144), // fp16 d, dmin; 12 bytes of 6-bit scales and mins; 128 bytes of 4-bit q
    Q5_K(13, null, 256, 176), // fp16 d, dmin; 12 bytes scales/mins; 32 bytes high bits; 128 bytes low nibbles
    Q6_K(14, null, 256, 210), // 128 bytes low nibbles; 64 bytes high 2 bits; 16 int8 scales; fp16 d
    Q8_K(15, null, 256, 292), // f32 d; 256 int8; 16 int16 block sums
    IQ2_XXS(16, null, 256, 66), // fp16 d; 8 x (4 grid bytes, 4 x 7-bit signs + 4-bit scale)
    IQ2_XS(17, null, 256, 74),  // fp16 d; 32 x 16-bit (9-bit grid index, 7-bit signs); 8 bytes of 4-bit scales
    IQ3_XXS(18, null, 256, 98), // fp16 d; 64 grid bytes; 8 x (4 x 7-bit signs + 4-bit scale)
    IQ1_S(19, null, 256, 50),   // fp16 d; 32 low grid bytes; 8 x 16-bit (high bits, 3-bit scale, delta sign)
    IQ4_NL(20, null, 32, 18),   // fp16 d; 16 bytes of 4-bit indices into kvalues_iq4nl
    IQ3_S(21, null, 256, 110),  // fp16 d; 64 low grid bytes; 8 high-bit bytes; 32 sign bytes; 4 bytes of 4-bit scales
    IQ2_S(22, null, 256, 82),   // fp16 d; 32 low grid bytes; 32 sign bytes; 8 high-bit bytes; 8 bytes of 4-bit scales
    IQ4_XS(23, null, 256, 136), // fp16 d; 16 bits of scale highs; 4 bytes of scale lows; 128 bytes of 4-bit indices
    I8(24, "I8", 1, 1),
    I16(25, "I16", 1, 2),
    I32(26, "I32", 1, 4),
    I64(27, "I64", 1, 8),
    F64(28, "F64", 1, 8),
    BF16(30, "BF16", 1, 2),
    U8(-1, "U8", 1, 1),
    BOOL(-1, "BOOL", 1, 1);

    public final int ggmlId;
    public final String safetensorsName;
    public final int blockSize;
    public final int blockBytes;

    DType(int ggmlId, String safetensorsName, int blockSize, int blockBytes) {
        this.ggmlId = ggmlId;
        this.safetensorsName = safetensorsName;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** True for the types that hold real numbers (plain floats or quantized blocks of them). */
    public boolean isFloatLike() {
        return this == F32 || this == F16 || this == BF16 || this == F64 || isQuantized();
    }

    /** Bytes needed for {@code elements} values; elements must be a whole number of blocks. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(name() + " needs a multiple of " + blockSize + " elements, got " + elements);
        }
        return elements / blockSize * blockBytes;
    }

    public double bitsPerWeight() {
        return 8.0 * blockBytes / blockSize;
    }

    public static Optional<DType> fromGgmlId(int id) {
        return Arrays.stream(values()).filter(t -> t.ggmlId == id && id >= 0).findFirst();
    }

    public static Optional<DType> fromSafetensorsName(String name) {
        return Arrays.stream(values()).filter(t -> name.equals(t.safetensorsName)).findFirst();
    }
}
