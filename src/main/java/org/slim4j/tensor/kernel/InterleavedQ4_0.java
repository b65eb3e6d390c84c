package org.slim4j.tensor.kernel;

import static org.slim4j.tensor.kernel.FloatKernels.LE;
import static org.slim4j.tensor.kernel.FloatKernels.W;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.MappedPages;

/**
 * A Q4_0 matrix re-laid at load time with 32 rows interleaved, the idea of ggml-cpu's repacked q4_0x8 buffers: the
 * matrix-vector product then keeps one row per vector lane instead of one block element per lane. In the file a
 * block is 32 codes of one row, so a row's dot product needs a horizontal pair sum and a float conversion per block
 * (the Vector API has no pmaddubsw / vpdpbusd); here each step loads one code byte of each of 32 rows, multiplies by
 * one broadcast activation and adds into 32 short lanes, and only the block's end converts to float (32 rows at
 * once). Same bytes as the file (18 per 32 weights), so memory traffic is unchanged; one thread, 4096 x 4096,
 * out of cache: 4.0 -> 15.7 GB/s of Q4_0.
 *
 * <p>Layout: groups of 32 rows; per group and block, 32 fp16 scales (64 bytes), then 16 lines of 32 bytes, line j
 * holding byte j of each row's block (codes j and j + 16 as low and high nibble). Codes are stored minus 8 as signed
 * nibbles (xor 0x88), so 32 products |code * x| <= 8 * 127 sum below 2^15 in short lanes without an offset term.
 */
public final class InterleavedQ4_0 {
    public static final int ROWS = 32;
    private static final int BLOCK_BYTES = ROWS * 18, CODES = 64;
    // 512-bit: one short vector holds the 32 rows; 256-bit: two passes of 16
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, W.vectorShape());
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(W.vectorBitSize() / 2));
    private static final VectorSpecies<Short> HS = VectorSpecies.of(short.class, VectorShape.forBitSize(W.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, W.vectorShape());
    private static final VectorSpecies<Byte> QB = VectorSpecies.of(byte.class, VectorShape.forBitSize(W.vectorBitSize() / 4));
    private static final int LANES = S.length(), HALF = W.length();
    private static final long RELEASE_BYTES = 1 << 20;

    private final Tensor source;
    private final MemorySegment data;
    private final int rows, cols, blocks;

    private InterleavedQ4_0(Tensor source, MemorySegment data) {
        this.source = source;
        this.data = data;
        this.rows = Math.toIntExact(source.rows());
        this.cols = Math.toIntExact(source.cols());
        this.blocks = cols / 32;
    }

    /** True when {@code t} can be re-laid: Q4_0 with whole 32-row groups. */
    public static boolean supports(Tensor t) {
        return t.dtype() == DType.Q4_0 && t.shape().length == 2 && t.rows() % ROWS == 0 && t.rows() > 0 && t.cols() % 32 == 0;
    }

    /** The interleaved copy of {@code t} in {@code arena}; {@link #supports} must hold. */
    public static InterleavedQ4_0 of(Tensor t, Arena arena) {
        return of(t, arena, false);
    }

    /**
     * The same, and with {@code release} the file's pages of each 32-row group range are given back as soon as they
     * are copied ({@link MappedPages}), so the resident set never holds a large tensor twice.
     */
    public static InterleavedQ4_0 of(Tensor t, Arena arena, boolean release) {
        if (!supports(t)) throw new IllegalArgumentException(t + ": not a Q4_0 matrix of whole " + ROWS + "-row groups");
        MemorySegment src = t.data();
        MemorySegment dst = arena.allocate(src.byteSize(), 64);
        int blocks = Math.toIntExact(t.cols() / 32), groups = Math.toIntExact(t.rows() / ROWS);
        long rb = t.rowBytes();
        byte[] tile = new byte[BLOCK_BYTES], row = new byte[18];
        for (int g = 0; g < groups; g++) {
            for (int b = 0; b < blocks; b++) {
                for (int r = 0; r < ROWS; r++) {
                    MemorySegment.copy(src, ValueLayout.JAVA_BYTE, (long) (g * ROWS + r) * rb + 18L * b, row, 0, 18);
                    tile[2 * r] = row[0];
                    tile[2 * r + 1] = row[1];
                    for (int j = 0; j < 16; j++) tile[CODES + ROWS * j + r] = (byte) (row[2 + j] ^ 0x88);
                }
                MemorySegment.copy(tile, 0, dst, ValueLayout.JAVA_BYTE, ((long) g * blocks + b) * BLOCK_BYTES, BLOCK_BYTES);
            }
            long groupBytes = ROWS * rb;
            if (release && ((g + 1) * groupBytes % RELEASE_BYTES < groupBytes || g == groups - 1)) {
                long end = (g + 1) * groupBytes, start = Math.max(0, end - RELEASE_BYTES - groupBytes);
                MappedPages.release(src.asSlice(start, end - start));
            }
        }
        return new InterleavedQ4_0(t, dst);
    }

    public Tensor source() {
        return source;
    }

    /**
     * y[r] = (or += when accumulate) dot(W[r], x) for r in [r0, r1), x given as its int8 blocks {@code a}; rows outside
     * whole groups take {@link MatVec#rows} on the source tensor.
     */
    public void rows(int r0, int r1, Q8Act a, float[] x, float[] y, boolean accumulate, float[] scratch) {
        int g0 = (r0 + ROWS - 1) / ROWS, g1 = r1 / ROWS;
        if (g0 >= g1 || a.cols() != cols) {
            MatVec.rows(source, r0, r1, a, x, y, accumulate, scratch);
            return;
        }
        if (r0 < g0 * ROWS) MatVec.rows(source, r0, g0 * ROWS, a, x, y, accumulate, scratch);
        for (int g = g0; g < g1; g++) {
            for (int h = 0; h < ROWS; h += LANES) group(g, h, a, y, accumulate);
        }
        if (g1 * ROWS < r1) MatVec.rows(source, g1 * ROWS, r1, a, x, y, accumulate, scratch);
    }

    private void group(int g, int h, Q8Act a, float[] y, boolean accumulate) {
        FloatVector acc0 = FloatVector.zero(W), acc1 = acc0;
        short[] q = a.q;
        long base = (long) g * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, base += BLOCK_BYTES) {
            ShortVector sum = ShortVector.zero(S);
            int xo = 32 * b;
            for (int j = 0; j < 16; j++) {
                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, data, base + CODES + ROWS * j + h, LE).convertShape(VectorOperators.B2S, S, 0);
                ShortVector lo = v.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 12);
                sum = sum.add(lo.mul(q[xo + j])).add(v.lanewise(VectorOperators.ASHR, 4).mul(q[xo + j + 16]));
            }
            float dx = a.d[b];
            FloatVector d0 = FloatKernels.halfToFloat(ShortVector.fromMemorySegment(HS, data, base + 2L * h, LE));
            FloatVector d1 = FloatKernels.halfToFloat(ShortVector.fromMemorySegment(HS, data, base + 2L * (h + HALF), LE));
            acc0 = ((FloatVector) ((IntVector) sum.convertShape(VectorOperators.S2I, I, 0)).convert(VectorOperators.I2F, 0)).fma(d0.mul(dx), acc0);
            acc1 = ((FloatVector) ((IntVector) sum.convertShape(VectorOperators.S2I, I, 1)).convert(VectorOperators.I2F, 0)).fma(d1.mul(dx), acc1);
        }
        int r = g * ROWS + h;
        if (accumulate) {
            acc0 = acc0.add(FloatVector.fromArray(W, y, r));
            acc1 = acc1.add(FloatVector.fromArray(W, y, r + HALF));
        }
        acc0.intoArray(y, r);
        acc1.intoArray(y, r + HALF);
    }

    /** Row {@code r} decoded into dst[o, o + cols), as {@link org.slim4j.tensor.Dequant} does (a tied embedding's lookup). */
    public void decodeRow(int r, float[] dst, int o) {
        int lane = r % ROWS;
        long base = (long) (r / ROWS) * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, base += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, base + 2L * lane));
            for (int j = 0; j < 16; j++) {
                int v = data.get(ValueLayout.JAVA_BYTE, base + CODES + ROWS * j + lane);
                dst[o + 32 * b + j] = ((v << 28) >> 28) * d;
                dst[o + 32 * b + j + 16] = (v >> 4) * d;
            }
        }
    }

    /**
     * Rows [16 p, 16 p + 16) decoded into {@code panel} as [cols][16] floats ({@link PanelWeight}'s layout), values
     * bit-identical to {@link org.slim4j.tensor.Dequant}'s: one multiply of the code by its scale.
     */
    public void decodePanel(int p, float[] panel) {
        int g = p * PanelWeight.WIDTH / ROWS, h = p * PanelWeight.WIDTH % ROWS;
        long base = (long) g * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, base += BLOCK_BYTES) {
            for (int c = 0; c < PanelWeight.WIDTH; c += HALF) {
                FloatVector d = FloatKernels.halfToFloat(ShortVector.fromMemorySegment(HS, data, base + 2L * (h + c), LE));
                for (int j = 0; j < 16; j++) {
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(QB, data, base + CODES + ROWS * j + h + c, LE).convertShape(VectorOperators.B2I, I, 0);
                    int k = 32 * b + j;
                    ((FloatVector) v.lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).mul(d)
                            .intoArray(panel, k * PanelWeight.WIDTH + c);
                    ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).convert(VectorOperators.I2F, 0)).mul(d)
                            .intoArray(panel, (k + 16) * PanelWeight.WIDTH + c);
                }
            }
        }
    }
}
