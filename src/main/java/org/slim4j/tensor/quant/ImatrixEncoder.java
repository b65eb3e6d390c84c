package org.slim4j.tensor.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.slim4j.tensor.DType;

/**
 * The importance-weighted quantizers llama-quantize uses when given an imatrix (quantize_row_*_impl in
 * ggml-quants.c), one row at a time because the weights depend on the whole row: Q4_0 weighs each value by
 * qw[j] * sqrt(sigma2 + x[j]^2) with sigma2 the row's mean square and fits each block by make_qx_quants; Q6_K passes
 * qw to make_qx_quants as it is. Q8_0 has no importance variant in llama.cpp either, so it uses the reference
 * encoder. Other types (the k-quants that refit with make_qkx3_quants/make_qp_quants) are not implemented and are
 * refused rather than quietly encoded without the importance.
 */
public final class ImatrixEncoder {
    private ImatrixEncoder() {}

    public static boolean supports(DType type) {
        return type == DType.Q4_0 || type == DType.Q6_K || type == DType.Q8_0;
    }

    /** Encodes row[0..n) with importance qw[0..n) (one value per column) at dst[off]. */
    public static void encodeRow(DType type, float[] row, float[] qw, MemorySegment dst, long off) {
        int n = row.length;
        if (qw.length != n) throw new IllegalArgumentException("importance has " + qw.length + " values for a row of " + n);
        if (n % type.blockSize != 0) throw new IllegalArgumentException(type + " encodes whole blocks of " + type.blockSize + ", got " + n);
        byte[] b = new byte[type.blockBytes];
        switch (type) {
            case Q8_0 -> BlockCodecs.encoder(type).encode(row, 0, dst, off, n);
            case Q4_0 -> {
                float sumX2 = 0;
                for (float v : row) sumX2 += v * v;
                float sigma2 = sumX2 / n;
                float[] weight = new float[32];
                byte[] L = new byte[32];
                for (int ib = 0; ib < n / 32; ib++) {
                    java.util.Arrays.fill(b, (byte) 0);
                    for (int j = 0; j < 32; j++) {
                        float x = row[32 * ib + j];
                        weight[j] = qw[32 * ib + j] * (float) Math.sqrt(sigma2 + x * x);
                    }
                    float d = KQuantMath.makeQxQuants(32, 8, row, 32 * ib, L, 0, 1, weight, 0);
                    BlockQuantizer.putF16(b, 0, d);
                    for (int j = 0; j < 16; j++) b[2 + j] = (byte) (L[j] | L[j + 16] << 4);
                    copy(b, dst, off + (long) ib * type.blockBytes);
                }
            }
            case Q6_K -> {
                Q6_KEncoder enc = (Q6_KEncoder) BlockCodecs.encoder(type);
                for (int ib = 0; ib < n / 256; ib++) {
                    java.util.Arrays.fill(b, (byte) 0);
                    enc.encodeBlock(row, 256 * ib, b, qw, 256 * ib);
                    copy(b, dst, off + (long) ib * type.blockBytes);
                }
            }
            default -> throw new UnsupportedOperationException("importance-weighted " + type + " is not implemented (Q4_0, Q6_K, Q8_0 are)");
        }
    }

    private static void copy(byte[] b, MemorySegment dst, long at) {
        MemorySegment.copy(b, 0, dst, ValueLayout.JAVA_BYTE, at, b.length);
    }
}
