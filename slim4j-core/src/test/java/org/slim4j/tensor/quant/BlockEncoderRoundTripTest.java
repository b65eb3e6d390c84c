package org.slim4j.tensor.quant;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slim4j.tensor.DType;

/**
 * Encoders through the existing decoders, for the properties each format promises: element error within half a
 * step for the round-to-nearest types, about half the error per extra bit for the k-quants, exact re-encoding
 * of decoded blocks where the algorithm is a fixed point. (Bit-exactness against llama.cpp is
 * BlockEncoderFixtureTest's job.)
 */
class BlockEncoderRoundTripTest {
    private static final int N = 256 * 64;

    private static float[] gaussian(long seed) {
        Random r = new Random(seed);
        float[] x = new float[N];
        for (int i = 0; i < N; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    private static byte[] encode(DType t, float[] x) {
        byte[] b = new byte[(int) t.bytesFor(x.length)];
        BlockCodecs.encoder(t).encode(x, 0, MemorySegment.ofArray(b), 0, x.length);
        return b;
    }

    private static float[] decode(DType t, byte[] b, int n) {
        float[] y = new float[n];
        BlockCodecs.of(t).decode(MemorySegment.ofArray(b), 0, y, 0, n);
        return y;
    }

    private static double rmse(DType t, float[] x) {
        float[] y = decode(t, encode(t, x), x.length);
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (x[i] - (double) y[i]) * (x[i] - y[i]);
        return Math.sqrt(s / x.length);
    }

    /**
     * Per element |x - deq| <= step/2, plus what storing d (and m) as fp16 moves the levels, plus one rounding of the
     * decode; Q4_0/Q5_0 clamp the top level, so values beyond it may be a whole step off.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q5_0", "Q4_1", "Q5_1"})
    void elementErrorIsWithinHalfAStep(DType t) {
        float[] x = gaussian(7);
        for (int i = 0; i < 64; i++) x[i] *= 1e-3f; // small-scale blocks too
        float[] y = decode(t, encode(t, x), N);
        for (int blk = 0; blk < N / 32; blk++) {
            int o = blk * 32;
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE, amax = 0, smax = 0;
            for (int j = 0; j < 32; j++) {
                float v = x[o + j];
                min = Math.min(min, v);
                max = Math.max(max, v);
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    smax = v;
                }
            }
            float d, m = 0;
            int levels;
            switch (t) {
                case Q8_0 -> { d = amax / 127; levels = 127; }
                case Q4_0 -> { d = smax / -8; levels = 8; }
                case Q5_0 -> { d = smax / -16; levels = 16; }
                case Q4_1 -> { d = (max - min) / 15; levels = 15; m = min; }
                default -> { d = (max - min) / 31; levels = 31; m = min; }
            }
            float d16 = Float.float16ToFloat(Float.floatToFloat16(d)), m16 = Float.float16ToFloat(Float.floatToFloat16(m));
            double slack = levels * Math.abs(d - d16) + Math.abs(m - m16) + 1e-6 * amax;
            for (int j = 0; j < 32; j++) {
                boolean clamped = (t == DType.Q4_0 || t == DType.Q5_0) && x[o + j] / d > levels - 0.5f;
                double bound = (clamped ? 1.0 : 0.5) * Math.abs(d) * (1 + 1e-5) + slack;
                double err = Math.abs(x[o + j] - y[o + j]);
                assertTrue(err <= bound, t + " block " + blk + " element " + j + ": error " + err + " > " + bound);
            }
        }
    }

    /** Each extra bit of the k-quants roughly halves the error; each k-quant beats the legacy type of its width. */
    @Test
    void kQuantErrorHalvesPerBit() {
        float[] x = gaussian(11);
        DType[] k = {DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K};
        double[] e = new double[k.length];
        for (int i = 0; i < k.length; i++) e[i] = rmse(k[i], x);
        for (int i = 1; i < k.length; i++) {
            double ratio = e[i - 1] / e[i];
            assertTrue(ratio > 1.6 && ratio < 2.6, k[i - 1] + "/" + k[i] + " RMSE ratio " + ratio);
        }
        assertTrue(e[0] < 0.35, "Q2_K RMSE " + e[0]);
        assertTrue(e[2] < rmse(DType.Q4_0, x) && e[2] < rmse(DType.Q4_1, x), "Q4_K vs Q4_0/Q4_1");
        assertTrue(e[3] < rmse(DType.Q5_0, x) && e[3] < rmse(DType.Q5_1, x), "Q5_K vs Q5_0/Q5_1");
        assertTrue(rmse(DType.Q8_K, x) < e[4], "Q8_K vs Q6_K");
        assertTrue(rmse(DType.Q8_0, x) < rmse(DType.Q5_1, x) && rmse(DType.Q5_1, x) < rmse(DType.Q4_1, x));
    }

    /**
     * Round-to-nearest with a scale taken from the block's extreme value is a fixed point: the decoded block has the
     * same extreme on the same level, so re-encoding gives the same bytes. The k-quants' scale searches are not
     * (a decoded block can fit a different scale better), so they are not checked here.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q5_0", "Q4_1", "Q5_1"})
    void reEncodingADecodedBlockGivesTheSameBytes(DType t) {
        byte[] once = encode(t, gaussian(3));
        assertArrayEquals(once, encode(t, decode(t, once, N)));
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q5_0", "Q4_1", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void zerosStayZeroAndOffsetsAreHonoured(DType t) {
        // as in ggml, a zero block may come back as -0 (Q4_0's d = 0 / -8 is -0), which equals 0
        float[] zeros = new float[t.blockSize];
        for (float v : decode(t, encode(t, zeros), zeros.length)) assertEquals(0f, v, 0f);

        // two blocks read from src offset 3, written at dst offset 5; the bytes around stay untouched
        float[] x = gaussian(5);
        float[] src = new float[3 + 2 * t.blockSize];
        System.arraycopy(x, 0, src, 3, 2 * t.blockSize);
        byte[] dst = new byte[5 + 2 * t.blockBytes + 4];
        java.util.Arrays.fill(dst, (byte) 0x5A);
        BlockCodecs.encoder(t).encode(src, 3, MemorySegment.ofArray(dst), 5, 2 * t.blockSize);
        byte[] alone = encode(t, java.util.Arrays.copyOf(x, 2 * t.blockSize));
        assertArrayEquals(alone, java.util.Arrays.copyOfRange(dst, 5, 5 + alone.length));
        for (int i : new int[] {0, 4, dst.length - 4, dst.length - 1}) assertEquals((byte) 0x5A, dst[i]);

        assertThrows(IllegalArgumentException.class,
                () -> BlockCodecs.encoder(t).encode(x, 0, MemorySegment.ofArray(new byte[4 * t.blockBytes]), 0, t.blockSize + 1));
    }

    @Test
    void onlyActivationTypeQ8_1HasNoEncoder() {
        assertThrows(UnsupportedOperationException.class, () -> BlockCodecs.encoder(DType.Q8_1));
        assertFalse(BlockCodecs.canEncode(DType.F32));
        assertTrue(BlockCodecs.canEncode(DType.Q3_K));
    }
}
