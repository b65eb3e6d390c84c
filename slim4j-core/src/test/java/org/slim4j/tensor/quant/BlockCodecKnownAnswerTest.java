package org.slim4j.tensor.quant;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slim4j.tensor.DType;

/**
 * Known answers for the block types without a llama.cpp fixture. Each test picks quants and scales, packs
 * them into a block the way ggml's quantize_row_*_ref does (the inverse of the codec), and computes the
 * expected values from the published formula, so the codec's unpacking is checked by an independent path.
 * Scales are random fp16 values, so a wrong operation order would show up in the low bits.
 */
class BlockCodecKnownAnswerTest {
    private final Random rnd = new Random(42);

    private short randomHalf() {
        // normal fp16 with exponent near 1, random mantissa and sign
        return (short) ((rnd.nextBoolean() ? 0x8000 : 0) | (rnd.nextInt(6) + 10) << 10 | rnd.nextInt(1024));
    }

    private static void putHalf(byte[] b, int at, short h) {
        b[at] = (byte) h;
        b[at + 1] = (byte) (h >> 8);
    }

    private static float half(short h) {
        return Float.float16ToFloat(h);
    }

    /** Decodes blocks at a non-zero offset in both source and destination, and checks nothing else is touched. */
    private static void assertDecodes(DType type, byte[][] blocks, float[][] expected) {
        int pre = 5;
        byte[] src = new byte[pre + blocks.length * type.blockBytes];
        for (int k = 0; k < blocks.length; k++) {
            assertEquals(type.blockBytes, blocks[k].length);
            System.arraycopy(blocks[k], 0, src, pre + k * type.blockBytes, type.blockBytes);
        }
        float[] dst = new float[3 + blocks.length * type.blockSize + 2];
        Arrays.fill(dst, 777f);
        BlockCodecs.of(type).decode(MemorySegment.ofArray(src), pre, dst, 3, blocks.length * type.blockSize);
        assertEquals(777f, dst[2]);
        assertEquals(777f, dst[dst.length - 1]);
        for (int k = 0; k < blocks.length; k++) {
            for (int i = 0; i < type.blockSize; i++) {
                int at = 3 + k * type.blockSize + i;
                assertEquals(Float.floatToRawIntBits(expected[k][i]), Float.floatToRawIntBits(dst[at]),
                        type + " block " + k + " value " + i + ": expected " + expected[k][i] + " got " + dst[at]);
            }
        }
    }

    private void check(DType type, java.util.function.BiConsumer<byte[], float[]> makeBlock) {
        byte[][] blocks = new byte[3][type.blockBytes];
        float[][] expected = new float[3][type.blockSize];
        for (int k = 0; k < 3; k++) makeBlock.accept(blocks[k], expected[k]);
        assertDecodes(type, blocks, expected);
    }

    @Test
    void q4_1() {
        check(DType.Q4_1, (b, y) -> {
            short d = randomHalf(), m = randomHalf();
            putHalf(b, 0, d);
            putHalf(b, 2, m);
            int[] q = rnd.ints(32, 0, 16).toArray();
            for (int j = 0; j < 16; j++) b[4 + j] = (byte) (q[j] | q[j + 16] << 4);
            for (int i = 0; i < 32; i++) y[i] = q[i] * half(d) + half(m);
        });
    }

    private void q5(DType type, boolean withMin) {
        check(type, (b, y) -> {
            short d = randomHalf(), m = randomHalf();
            putHalf(b, 0, d);
            if (withMin) putHalf(b, 2, m);
            int base = withMin ? 4 : 2;
            int[] q = rnd.ints(32, 0, 32).toArray();
            long qh = 0;
            for (int i = 0; i < 32; i++) qh |= (long) (q[i] >> 4) << i;
            for (int k = 0; k < 4; k++) b[base + k] = (byte) (qh >> (8 * k));
            for (int j = 0; j < 16; j++) b[base + 4 + j] = (byte) ((q[j] & 0xF) | (q[j + 16] & 0xF) << 4);
            for (int i = 0; i < 32; i++) y[i] = withMin ? q[i] * half(d) + half(m) : (q[i] - 16) * half(d);
        });
    }

    @Test
    void q5_0() {
        q5(DType.Q5_0, false);
    }

    @Test
    void q5_1() {
        q5(DType.Q5_1, true);
    }

    @Test
    void q8_1() {
        check(DType.Q8_1, (b, y) -> {
            short d = randomHalf();
            putHalf(b, 0, d);
            putHalf(b, 2, randomHalf()); // s: a dot-product helper, must not affect the values
            for (int i = 0; i < 32; i++) {
                int q = rnd.nextInt(256) - 128;
                b[4 + i] = (byte) q;
                y[i] = q * half(d);
            }
        });
    }

    @Test
    void q8_k() {
        check(DType.Q8_K, (b, y) -> {
            float d = rnd.nextFloat() * 0.01f;
            int bits = Float.floatToRawIntBits(d);
            for (int k = 0; k < 4; k++) b[k] = (byte) (bits >> (8 * k));
            for (int i = 0; i < 256; i++) {
                int q = rnd.nextInt(256) - 128;
                b[4 + i] = (byte) q;
                y[i] = d * q;
            }
            for (int k = 260; k < 292; k++) b[k] = (byte) rnd.nextInt(); // bsums: ignored when decoding
        });
    }

    /** ggml packs 2-bit values of a 256 block as qs[j/4 + l] = L[j+l] | L[j+l+32]<<2 | L[j+l+64]<<4 | L[j+l+96]<<6. */
    private static void pack2bit(int[] L, byte[] b, int at) {
        for (int j = 0; j < 256; j += 128) {
            for (int l = 0; l < 32; l++) {
                b[at + j / 4 + l] = (byte) (L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 | L[j + l + 96] << 6);
            }
        }
    }

    @Test
    void q2_k() {
        check(DType.Q2_K, (b, y) -> {
            short d = randomHalf(), dmin = randomHalf();
            int[] sc = rnd.ints(16, 0, 16).toArray(), mn = rnd.ints(16, 0, 16).toArray();
            int[] L = rnd.ints(256, 0, 4).toArray();
            for (int s = 0; s < 16; s++) b[s] = (byte) (sc[s] | mn[s] << 4);
            pack2bit(L, b, 16);
            putHalf(b, 80, d);
            putHalf(b, 82, dmin);
            for (int i = 0; i < 256; i++) {
                float dl = half(d) * sc[i / 16], ml = half(dmin) * mn[i / 16];
                y[i] = dl * L[i] - ml;
            }
        });
    }

    @Test
    void q3_k() {
        check(DType.Q3_K, (b, y) -> {
            short d = randomHalf();
            int[] ls = rnd.ints(16, 0, 64).toArray(); // stored scales; the value's scale is ls - 32
            int[] L = rnd.ints(256, 0, 8).toArray(); // the value's quant is L - 4
            for (int j = 0; j < 16; j++) { // scale packing from quantize_row_q3_K_ref
                int l = ls[j];
                if (j < 8) b[96 + j] = (byte) (l & 0xF);
                else b[96 + j - 8] |= (byte) ((l & 0xF) << 4);
                b[96 + 8 + j % 4] |= (byte) ((l >> 4) << (2 * (j / 4)));
            }
            int[] low = new int[256];
            int m = 0, hm = 1;
            for (int j = 0; j < 256; j++) {
                low[j] = L[j];
                if (L[j] > 3) {
                    b[m] |= (byte) hm;
                    low[j] -= 4;
                }
                if (++m == 32) {
                    m = 0;
                    hm <<= 1;
                }
            }
            pack2bit(low, b, 32);
            putHalf(b, 108, d);
            for (int i = 0; i < 256; i++) {
                float dl = half(d) * (ls[i / 16] - 32);
                y[i] = dl * (L[i] - 4);
            }
        });
    }

    /** 6-bit scales and mins of Q4_K/Q5_K, packed as in quantize_row_q4_K_ref. */
    private static void packScalesK4(int[] ls, int[] lm, byte[] b, int at) {
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                b[at + j] = (byte) ls[j];
                b[at + j + 4] = (byte) lm[j];
            } else {
                b[at + j + 4] = (byte) ((ls[j] & 0xF) | (lm[j] & 0xF) << 4);
                b[at + j - 4] |= (byte) ((ls[j] >> 4) << 6);
                b[at + j] |= (byte) ((lm[j] >> 4) << 6);
            }
        }
    }

    @Test
    void q5_k() {
        check(DType.Q5_K, (b, y) -> {
            short d = randomHalf(), dmin = randomHalf();
            int[] ls = rnd.ints(8, 0, 64).toArray(), lm = rnd.ints(8, 0, 64).toArray();
            int[] L = rnd.ints(256, 0, 32).toArray();
            putHalf(b, 0, d);
            putHalf(b, 2, dmin);
            packScalesK4(ls, lm, b, 4);
            int m1 = 1, m2 = 2;
            for (int n = 0; n < 256; n += 64) { // from quantize_row_q5_K_ref
                for (int j = 0; j < 32; j++) {
                    int l1 = L[n + j], l2 = L[n + j + 32];
                    if (l1 > 15) {
                        l1 -= 16;
                        b[16 + j] |= (byte) m1;
                    }
                    if (l2 > 15) {
                        l2 -= 16;
                        b[16 + j] |= (byte) m2;
                    }
                    b[48 + n / 2 + j] = (byte) (l1 | l2 << 4);
                }
                m1 <<= 2;
                m2 <<= 2;
            }
            for (int i = 0; i < 256; i++) {
                float d1 = half(d) * ls[i / 32], m = half(dmin) * lm[i / 32];
                y[i] = d1 * L[i] - m;
            }
        });
    }

    @Test
    void q4_k() {
        // Also covered by the fixture hashes; here it pins the shared 6-bit scale/min unpacking on all 64 values.
        check(DType.Q4_K, (b, y) -> {
            short d = randomHalf(), dmin = randomHalf();
            int[] ls = rnd.ints(8, 0, 64).toArray(), lm = rnd.ints(8, 0, 64).toArray();
            int[] L = rnd.ints(256, 0, 16).toArray();
            putHalf(b, 0, d);
            putHalf(b, 2, dmin);
            packScalesK4(ls, lm, b, 4);
            for (int n = 0; n < 256; n += 64) {
                for (int l = 0; l < 32; l++) b[16 + n / 2 + l] = (byte) (L[n + l] | L[n + l + 32] << 4);
            }
            for (int i = 0; i < 256; i++) {
                float d1 = half(d) * ls[i / 32], m = half(dmin) * lm[i / 32];
                y[i] = d1 * L[i] - m;
            }
        });
    }

    @Test
    void hardCodedQ4_0AndQ8_0Blocks() {
        // d = 0.5 (fp16 0x3800); nibbles 0x1F: first value 15-8 = 7, seventeenth 1-8 = -7.
        byte[] q4 = new byte[18];
        putHalf(q4, 0, (short) 0x3800);
        Arrays.fill(q4, 2, 18, (byte) 0x1F);
        float[] e4 = new float[32];
        Arrays.fill(e4, 0, 16, 3.5f);
        Arrays.fill(e4, 16, 32, -3.5f);
        assertDecodes(DType.Q4_0, new byte[][] {q4}, new float[][] {e4});
        byte[] q8 = new byte[34];
        putHalf(q8, 0, (short) 0xC000); // -2
        float[] e8 = new float[32];
        for (int i = 0; i < 32; i++) {
            q8[2 + i] = (byte) (i * 8 - 128);
            e8[i] = -2f * (i * 8 - 128);
        }
        assertDecodes(DType.Q8_0, new byte[][] {q8}, new float[][] {e8});
    }

    @Test
    void everyQuantizedTypeHasACodec() {
        for (DType t : DType.values()) {
            if (t.isQuantized()) assertEquals(t, BlockCodecs.of(t).type());
        }
        assertThrows(IllegalArgumentException.class,
                () -> BlockCodecs.of(DType.Q4_K).decode(MemorySegment.ofArray(new byte[144]), 0, new float[256], 0, 100));
    }
}
