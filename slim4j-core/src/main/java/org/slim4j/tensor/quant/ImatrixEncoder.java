package org.slim4j.tensor.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.slim4j.tensor.DType;

/**
 * The importance-weighted quantizers llama-quantize uses when given an imatrix (quantize_row_*_impl in ggml-quants.c),
 * one row at a time because some weights depend on the whole row: each value is weighed by its column's importance
 * qw[j] (the mean of x_j^2 over the calibration tokens) times sqrt(sigma2 + x^2), and the block's scales (and mins) are
 * fitted to that weighted error by the type's own searches (make_qx_quants, make_qkx3_quants, make_qp_quants, the
 * IQ4 scale search). Every k-quant, Q4_0/Q4_1/Q5_0/Q5_1 and IQ4_NL/IQ4_XS have one; Q8_0 has none in llama.cpp either
 * and uses the reference encoder.
 */
public final class ImatrixEncoder {
    private ImatrixEncoder() {}

    public static boolean supports(DType type) {
        return type == DType.Q8_0 || BlockCodecs.canEncode(type) && ((BlockQuantizer) BlockCodecs.encoder(type)).weighted();
    }

    /** Encodes row[0..n) with importance qw[0..n) (one value per column) at dst[off]. */
    public static void encodeRow(DType type, float[] row, float[] qw, MemorySegment dst, long off) {
        int n = row.length;
        if (qw.length != n) throw new IllegalArgumentException("importance has " + qw.length + " values for a row of " + n);
        if (n % type.blockSize != 0) throw new IllegalArgumentException(type + " encodes whole blocks of " + type.blockSize + ", got " + n);
        if (!supports(type)) throw new UnsupportedOperationException("no importance-weighted " + type + " quantizer");
        if (type == DType.Q8_0) {
            BlockCodecs.encoder(type).encode(row, 0, dst, off, n);
            return;
        }
        BlockQuantizer enc = (BlockQuantizer) BlockCodecs.encoder(type);
        float rowSigma2 = KQuantMath.sumSquares(row, 0, n) / n;
        byte[] b = new byte[type.blockBytes];
        for (int ib = 0; ib < n / type.blockSize; ib++) {
            java.util.Arrays.fill(b, (byte) 0);
            enc.encodeWeighted(row, ib * type.blockSize, qw, ib * type.blockSize, rowSigma2, b);
            MemorySegment.copy(b, 0, dst, ValueLayout.JAVA_BYTE, off + (long) ib * type.blockBytes, b.length);
        }
    }
}
