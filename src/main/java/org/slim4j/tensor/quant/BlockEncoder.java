package org.slim4j.tensor.quant;

import java.lang.foreign.MemorySegment;
import org.slim4j.tensor.DType;

/**
 * Quantization of floats into one ggml block type, bit-identical to llama.cpp's reference quantizers
 * (quantize_row_*_ref in ggml-quants.c, which llama-quantize uses when no importance matrix is given);
 * {@code n} is a whole number of blocks.
 */
public interface BlockEncoder {

    DType type();

    void encode(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n);

    /**
     * The same with {@code scratch} (at least one block's bytes) kept by the caller, for encoders called once per small
     * row in a loop that allocates nothing (a quantized KV cache's rows); the default allocates as {@link #encode} does.
     */
    default void encode(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n, byte[] scratch) {
        encode(src, srcOffset, dst, dstOffset, n);
    }
}
