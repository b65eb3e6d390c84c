package org.slim4j.tensor.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.slim4j.tensor.DType;

/**
 * Base for the ggml block codecs: copies one block at a time onto a small heap buffer (so the per-element
 * bit twiddling runs on a byte[], which the JIT handles well) and decodes it. Arithmetic is plain float,
 * operation by operation as in ggml's dequantize_row_*: Java never contracts a*b+c into an FMA, so the
 * results are bit-identical to ggml's reference C.
 */
abstract class BlockDecoder implements BlockCodec {
    private final DType type;

    BlockDecoder(DType type) {
        this.type = type;
    }

    @Override
    public final DType type() {
        return type;
    }

    /** Decodes one block from b[0..blockBytes) into dst[o..o+blockSize). */
    abstract void decodeBlock(byte[] b, float[] dst, int o);

    @Override
    public final void decode(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        if (n % type.blockSize != 0) {
            throw new IllegalArgumentException(type + " decodes whole blocks of " + type.blockSize + ", got " + n + " values");
        }
        byte[] b = new byte[type.blockBytes];
        for (int k = 0; k < n / type.blockSize; k++) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, offset + (long) k * type.blockBytes, b, 0, b.length);
            decodeBlock(b, dst, dstOffset + k * type.blockSize);
        }
    }

    static float f16(byte[] b, int i) {
        return Float.float16ToFloat((short) ((b[i] & 0xff) | (b[i + 1] << 8)));
    }

    static int u8(byte[] b, int i) {
        return b[i] & 0xff;
    }

    static int le32(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
    }

    /** ggml's get_scale_min_k4: the j-th 6-bit scale (k=0) or min (k=1) packed in the 12 bytes at s of Q4_K/Q5_K. */
    static int scaleMinK4(byte[] b, int s, int j, boolean min) {
        if (j < 4) return u8(b, s + j + (min ? 4 : 0)) & 63;
        return min
                ? (u8(b, s + j + 4) >> 4) | ((u8(b, s + j) >> 6) << 4)
                : (u8(b, s + j + 4) & 0xF) | ((u8(b, s + j - 4) >> 6) << 4);
    }
}
