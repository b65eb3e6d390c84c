package org.slim4j.tensor.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.slim4j.tensor.DType;

/**
 * Base for the ggml block encoders: each block is encoded onto a small zeroed heap buffer and copied out.
 * Arithmetic is plain float in ggml's operation order; Java never contracts a*b+c into an FMA, which matches
 * a llama.cpp build whose reference quantizers were not contracted either (checked against the fixtures).
 */
abstract class BlockQuantizer implements BlockEncoder {
    private final DType type;

    BlockQuantizer(DType type) {
        this.type = type;
    }

    @Override
    public final DType type() {
        return type;
    }

    /** Encodes x[o..o+blockSize) into b[0..blockBytes), which arrives zeroed. */
    abstract void encodeBlock(float[] x, int o, byte[] b);

    @Override
    public final void encode(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        encode(src, srcOffset, dst, dstOffset, n, new byte[type.blockBytes]);
    }

    @Override
    public final void encode(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n, byte[] b) {
        if (n % type.blockSize != 0) {
            throw new IllegalArgumentException(type + " encodes whole blocks of " + type.blockSize + ", got " + n + " values");
        }
        for (int k = 0; k < n / type.blockSize; k++) {
            java.util.Arrays.fill(b, 0, type.blockBytes, (byte) 0);
            encodeBlock(src, srcOffset + k * type.blockSize, b);
            MemorySegment.copy(b, 0, dst, ValueLayout.JAVA_BYTE, dstOffset + (long) k * type.blockBytes, type.blockBytes);
        }
    }

    /** True when the type has llama.cpp's importance-weighted quantizer ({@link #encodeWeighted}). */
    boolean weighted() {
        return false;
    }

    /**
     * llama.cpp's importance-weighted quantizer of one block (quantize_row_*_impl): x[o, o + blockSize) with one
     * importance per value qw[qo, ...) into b (zeroed). {@code rowSigma2} is the mean square of the whole row, which
     * the 32-value types weigh by (the 256-value ones take their super-block's).
     */
    void encodeWeighted(float[] x, int o, float[] qw, int qo, float rowSigma2, byte[] b) {
        throw new UnsupportedOperationException("no importance-weighted " + type + " quantizer");
    }

    /** Stores f as IEEE half, rounding to nearest even (ggml's GGML_FP32_TO_FP16); returns the stored value. */
    static float putF16(byte[] b, int i, float f) {
        short h = Float.floatToFloat16(f);
        b[i] = (byte) h;
        b[i + 1] = (byte) (h >> 8);
        return Float.float16ToFloat(h);
    }

    static void putLe32(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >> 8);
        b[i + 2] = (byte) (v >> 16);
        b[i + 3] = (byte) (v >> 24);
    }

    /** C's roundf: halves away from zero (Math.round rounds them up). The double sum is exact for floats. */
    static float roundf(float x) {
        return (float) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }

    /** The value of largest magnitude, the first one on ties (as Q4_0/Q5_0's scan keeps it). */
    static float signedMax(float[] x, int o, int n) {
        float amax = 0, max = 0;
        for (int j = 0; j < n; j++) {
            float v = x[o + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }
}
