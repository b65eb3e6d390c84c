package org.slim4j.tensor.kernel;

import static org.slim4j.tensor.kernel.FloatKernels.LE;
import static org.slim4j.tensor.kernel.FloatKernels.W;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import org.slim4j.tensor.Tensor;

/**
 * Q4_0 with 32 rows interleaved ({@link InterleavedRows}): per block, 16 lines of 32 bytes, line j holding byte j of
 * each row's block (codes j and j + 16 as low and high nibble). The high nibble is stored minus 8 (xor 0x80), so a
 * sign-extended byte shifted right by 4 is its value; the low nibble stays 0..15, taken with one and, and its -8 comes
 * out per block as -8 times the sum of the block's first 16 activation codes ({@link Q8Act#sum16}): one and and one
 * shift per line instead of three shifts. Two short accumulators, |sum| <= 16 * 15 * 127 and 16 * 8 * 127; their
 * total minus the offset is the block's true sum, below 2^15, so short wrap-around in between is harmless.
 * One thread, 16384 x 8192 streamed from memory: 4.7 GB/s of Q4_0 in the file's layout, 12.2 interleaved (JMH).
 */
public final class InterleavedQ4_0 extends InterleavedRows {
    private static final int LINE = ROWS;
    static final int TILE = ROWS * 18;

    InterleavedQ4_0(Tensor source, MemorySegment data) {
        super(source, data, TILE);
    }

    @Override
    void place(byte[] src, int at, int r, byte[] tile) {
        tile[2 * r] = src[at];
        tile[2 * r + 1] = src[at + 1];
        for (int j = 0; j < 16; j++) tile[SCALES + LINE * j + r] = (byte) (src[at + 2 + j] ^ 0x80);
    }

    @Override
    void group(int g, int h, Q8Act a, float[] y, boolean accumulate) {
        FloatVector acc0 = FloatVector.zero(W), acc1 = acc0;
        short[] q = a.q;
        long base = (long) g * blocks * blockBytes;
        for (int b = 0; b < blocks; b++, base += blockBytes) {
            ShortVector lo = ShortVector.zero(S), hi = lo; // two chains, one add each per line (one chain: 11.6 -> 7 GB/s)
            int xo = 32 * b;
            for (int j = 0; j < 16; j++) {
                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, data, base + SCALES + LINE * j + h, LE).convertShape(VectorOperators.B2S, S, 0);
                lo = lo.add(v.and((short) 0xF).mul(q[xo + j]));
                hi = hi.add(v.lanewise(VectorOperators.ASHR, 4).mul(q[xo + j + 16]));
            }
            ShortVector sum = lo.add(hi).sub((short) (8 * a.sum16[b]));
            float dx = a.d[b];
            FloatVector d0 = FloatKernels.halfToFloat(ShortVector.fromMemorySegment(HS, data, base + 2L * h, LE));
            FloatVector d1 = FloatKernels.halfToFloat(ShortVector.fromMemorySegment(HS, data, base + 2L * (h + HALF), LE));
            acc0 = ((FloatVector) ((IntVector) sum.convertShape(VectorOperators.S2I, I, 0)).convert(VectorOperators.I2F, 0)).fma(d0.mul(dx), acc0);
            acc1 = ((FloatVector) ((IntVector) sum.convertShape(VectorOperators.S2I, I, 1)).convert(VectorOperators.I2F, 0)).fma(d1.mul(dx), acc1);
        }
        store(acc0, acc1, y, g * ROWS + h, accumulate);
    }

    @Override
    public void decodeRow(int r, float[] dst, int o) {
        int lane = r % ROWS;
        long base = (long) (r / ROWS) * blocks * blockBytes;
        for (int b = 0; b < blocks; b++, base += blockBytes) {
            float d = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, base + 2L * lane));
            for (int j = 0; j < 16; j++) {
                int v = data.get(ValueLayout.JAVA_BYTE, base + SCALES + LINE * j + lane);
                dst[o + 32 * b + j] = ((v & 0xF) - 8) * d;
                dst[o + 32 * b + j + 16] = (v >> 4) * d;
            }
        }
    }

    @Override
    public void decodePanel(int p, float[] panel) {
        int g = p * PanelWeight.WIDTH / ROWS, h = p * PanelWeight.WIDTH % ROWS;
        long base = (long) g * blocks * blockBytes;
        for (int b = 0; b < blocks; b++, base += blockBytes) {
            for (int c = 0; c < PanelWeight.WIDTH; c += HALF) {
                FloatVector d = FloatKernels.halfToFloat(ShortVector.fromMemorySegment(HS, data, base + 2L * (h + c), LE));
                for (int j = 0; j < 16; j++) {
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(QB, data, base + SCALES + LINE * j + h + c, LE).convertShape(VectorOperators.B2I, I, 0);
                    int k = 32 * b + j;
                    ((FloatVector) v.and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                            .intoArray(panel, k * PanelWeight.WIDTH + c);
                    ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).convert(VectorOperators.I2F, 0)).mul(d)
                            .intoArray(panel, (k + 16) * PanelWeight.WIDTH + c);
                }
            }
        }
    }
}
