package org.slim4j.tensor.quant;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Set;
import org.slim4j.tensor.DType;

/**
 * A block type's rounding split in two, for quantizers that choose the codes themselves (GPTQ's error feedback):
 * {@link #fit} chooses a block's scales (and mins) by the type's own rules, llama.cpp's importance-weighted search
 * ({@link ImatrixEncoder}'s per-type quantizers), and {@link Grid} then gives, for each value of the block, the levels
 * it may take: value = scale[i] * level(L) + offset[i] with L in [lmin, lmax] (level(L) = L, or kvalues_iq4nl[L] for
 * the IQ4 types), read back from the fitted block by decoding it, so it is exactly what a loader computes up to the
 * rounding of one multiply-add. {@link #pack} stores chosen codes into the block.
 */
public final class BlockFit {
    private static final Set<DType> TYPES = Set.of(DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q8_0, DType.Q2_K, DType.Q3_K,
            DType.Q4_K, DType.Q5_K, DType.Q6_K, DType.IQ4_NL, DType.IQ4_XS);

    private BlockFit() {}

    public static boolean supports(DType type) {
        return TYPES.contains(type);
    }

    /**
     * Chooses the scales of the block x[o, o + blockSize) into b (zeroed, blockBytes long) with importance qw[qo, ...)
     * (one per value; llama.cpp weighs each by qw * sqrt(sigma2 + x^2)); the codes it leaves are llama.cpp's for x.
     * Q8_0 has no importance rule in llama.cpp and takes the reference one.
     */
    public static void fit(DType type, float[] x, int o, float[] qw, int qo, float rowSigma2, byte[] b) {
        check(type);
        BlockQuantizer q = (BlockQuantizer) BlockCodecs.encoder(type);
        if (type == DType.Q8_0 || qw == null) q.encodeBlock(x, o, b);
        else q.encodeWeighted(x, o, qw, qo, rowSigma2, b);
    }

    /** The levels each value of a fitted block can take. */
    public record Grid(float[] scale, float[] offset, int lmin, int lmax, byte[] table) {
        /** The value code L stands for at position i. */
        public float value(int i, int L) {
            return scale[i] * (table == null ? L : table[L]) + offset[i];
        }

        /** The code in [lmin, lmax] nearest to v at position i. */
        public int nearest(int i, float v) {
            float s = scale[i];
            if (s == 0) return table == null ? Math.max(lmin, Math.min(lmax, 0)) : Iq4Quantizer.bestIndex(table, 0);
            float t = (v - offset[i]) / s;
            if (table != null) return Iq4Quantizer.bestIndex(table, t);
            return Math.max(lmin, Math.min(lmax, Math.round(t)));
        }
    }

    /** The grid of the fitted block b of {@code type}. */
    public static Grid grid(DType type, byte[] b) {
        check(type);
        int n = type.blockSize;
        byte[] work = b.clone(), L = new byte[n];
        BlockCodec codec = BlockCodecs.of(type);
        float[] v0 = new float[n], v1 = new float[n];
        boolean iq4 = type == DType.IQ4_NL || type == DType.IQ4_XS;
        // linear types: level 0 gives the offset, level 1 the offset plus the scale; IQ4: index 8 is kvalue 1
        Arrays.fill(L, (byte) (iq4 ? 8 : 0));
        pack(type, L, work);
        codec.decode(MemorySegment.ofArray(work), 0, v0, 0, n);
        if (iq4) return new Grid(v0, new float[n], 0, 15, IqGrids.KVALUES_IQ4NL);
        Arrays.fill(L, (byte) 1);
        pack(type, L, work);
        codec.decode(MemorySegment.ofArray(work), 0, v1, 0, n);
        for (int i = 0; i < n; i++) v1[i] -= v0[i];
        return new Grid(v1, v0, type == DType.Q8_0 ? 1 : 0, lmax(type), null);
    }

    /** The largest code of a linear type (codes are unsigned; Q8_0's 0 stands for -128, which ggml never writes). */
    static int lmax(DType type) {
        return switch (type) {
            case Q2_K -> 3;
            case Q3_K -> 7;
            case Q4_0, Q4_1, Q4_K, IQ4_NL, IQ4_XS -> 15;
            case Q5_0, Q5_1, Q5_K -> 31;
            case Q6_K -> 63;
            case Q8_0 -> 255;
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /** Stores codes L[0, blockSize) into the code bits of block b (scales untouched). */
    public static void pack(DType type, byte[] L, byte[] b) {
        switch (type) {
            case Q4_0 -> Q4_0Encoder.pack(L, b);
            case Q4_1 -> Q4_1Encoder.pack(L, b);
            case Q5_0 -> Q5_0Encoder.pack(L, b, 2);
            case Q5_1 -> Q5_0Encoder.pack(L, b, 4);
            case Q8_0 -> {
                for (int j = 0; j < 32; j++) b[2 + j] = (byte) ((L[j] & 0xFF) - 128);
            }
            case Q2_K -> Q2_KEncoder.pack(L, b);
            case Q3_K -> Q3_KEncoder.pack(L, b);
            case Q4_K -> Q4_KEncoder.pack(L, b);
            case Q5_K -> Q5_KEncoder.pack(L, b);
            case Q6_K -> Q6_KEncoder.pack(L, b);
            case IQ4_NL, IQ4_XS -> Iq4Quantizer.pack(type, L, b);
            default -> throw new IllegalArgumentException("no code packing for " + type);
        }
    }

    private static void check(DType type) {
        if (!supports(type)) throw new IllegalArgumentException("no calibrated rounding into " + type + " blocks (" + TYPES + ")");
    }
}
