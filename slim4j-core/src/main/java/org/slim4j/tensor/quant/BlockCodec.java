package org.slim4j.tensor.quant;

import java.lang.foreign.MemorySegment;
import org.slim4j.tensor.DType;

/** Decoding of one ggml block type; {@code n} is a whole number of blocks. */
public interface BlockCodec {

    DType type();

    void decode(MemorySegment src, long offset, float[] dst, int dstOffset, int n);
}
