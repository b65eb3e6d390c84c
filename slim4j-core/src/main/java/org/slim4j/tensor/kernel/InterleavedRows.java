package org.slim4j.tensor.kernel;

import static org.slim4j.tensor.kernel.FloatKernels.W;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.MappedPages;

/**
 * A block-quantized matrix re-laid at load time with 32 rows interleaved, the idea of ggml-cpu's repacked
 * (q4_0x8-style) buffers: the matrix-vector product then keeps one row per vector lane instead of one block
 * element per lane. In the file a block holds 32 codes of one row, so a row's dot product needs a horizontal pair
 * sum and a float conversion per block (the Vector API has no pmaddubsw / vpdpbusd); here each step loads one code
 * of each of 32 rows, multiplies by one broadcast activation and adds into 32 short lanes, and only a block's end
 * converts to float, for 32 rows at once. The copy has the file's size (the same bytes, reordered), and with
 * {@code release} the file's pages are given back as they are copied, so the resident set holds the weight once.
 *
 * <p>Layout: groups of 32 rows; per group and block, the 32 rows' scales, then the codes as lines
 * of 32 bytes, one byte of each row per line (the type says which byte). Types: {@link InterleavedQ4_0}. Q8_0 was
 * tried the same way (pairs of lines summed in shorts, then widened): 1.35x the file-layout kernel alone on 4096 x
 * 4096, but no faster inside the model (SmolLM2-135M shape, one thread: Q8_0 +4%, Q4_K_M's Q8_0 tensors -15%), so
 * Q8_0 stays in the file's layout. Q4_K too: its interleaved kernel (scales and mins unpacked per row) was correct
 * and 1.8x alone when C2 compiled it whole, but with the per-sub-block scaling inlined C2 boxed its vectors, split out
 * it compiled erratically, and in the model (Llama-3.2-1B shape Q4_K_M, 2 threads) decode ran at half the speed.
 */
public abstract sealed class InterleavedRows permits InterleavedQ4_0 {
    public static final int ROWS = 32;
    static final int SCALES = 2 * ROWS;
    private static final long RELEASE_BYTES = 1 << 20;
    // 512-bit: one short vector holds the 32 rows; 256-bit (AVX2): two passes of 16
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, W.vectorShape());
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(W.vectorBitSize() / 2));
    static final VectorSpecies<Short> HS = VectorSpecies.of(short.class, VectorShape.forBitSize(W.vectorBitSize() / 2));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, W.vectorShape());
    static final VectorSpecies<Byte> QB = VectorSpecies.of(byte.class, VectorShape.forBitSize(W.vectorBitSize() / 4));
    static final int LANES = S.length(), HALF = W.length();

    final Tensor source;
    final MemorySegment data;
    /** Columns, blocks per row, and bytes of one group's block (the tile). */
    final int cols, blocks, blockBytes;

    InterleavedRows(Tensor source, MemorySegment data, int blockBytes) {
        this.source = source;
        this.data = data;
        this.cols = Math.toIntExact(source.cols());
        this.blocks = cols / source.dtype().blockSize;
        this.blockBytes = blockBytes;
    }

    /** True when {@code t} can be re-laid: a type with a re-layout ({@link TypeKernels}), whole 32-row groups. */
    public static boolean supports(Tensor t) {
        return t.dtype().isFloatLike() && t.dtype() != DType.F64 && TypeKernels.of(t.dtype()).relaid() && fits(t);
    }

    /** A matrix of whole 32-row groups and whole blocks per row. */
    static boolean fits(Tensor t) {
        return t.shape().length == 2 && t.rows() % ROWS == 0 && t.rows() > 0 && t.cols() % t.dtype().blockSize == 0;
    }

    /** The interleaved copy of {@code t} in {@code arena}; with {@code release} the file's pages go as they are copied. */
    public static InterleavedRows of(Tensor t, Arena arena, boolean release) {
        InterleavedRows r = supports(t) ? TypeKernels.of(t.dtype()).relayout(t, arena) : null;
        if (r == null) throw new IllegalArgumentException(t + ": not a matrix of whole " + ROWS + "-row groups of a type that is re-laid (Q4_0)");
        r.copy(release);
        return r;
    }

    private void copy(boolean release) {
        MemorySegment src = source.data();
        int groups = Math.toIntExact(source.rows() / ROWS), bb = source.dtype().blockBytes;
        long rb = source.rowBytes(), groupBytes = ROWS * rb;
        int rowBytes = Math.toIntExact(rb);
        byte[] group = new byte[ROWS * rowBytes], tile = new byte[blockBytes];
        for (int g = 0; g < groups; g++) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, g * groupBytes, group, 0, group.length); // one bulk read per group
            for (int b = 0; b < blocks; b++) {
                for (int r = 0; r < ROWS; r++) place(group, r * rowBytes + bb * b, r, tile);
                MemorySegment.copy(tile, 0, data, ValueLayout.JAVA_BYTE, ((long) g * blocks + b) * blockBytes, blockBytes);
            }
            if (release && ((g + 1) * groupBytes % RELEASE_BYTES < groupBytes || g == groups - 1)) {
                long end = (g + 1) * groupBytes, start = Math.max(0, end - RELEASE_BYTES - groupBytes);
                MappedPages.release(src.asSlice(start, end - start));
            }
        }
    }

    /** Places row r's block (at src[at], in the file's layout) into the group's block tile. */
    abstract void place(byte[] src, int at, int r, byte[] tile);

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

    /** Rows [32 g + h, 32 g + h + LANES): the kernel. */
    abstract void group(int g, int h, Q8Act a, float[] y, boolean accumulate);

    static void store(FloatVector acc0, FloatVector acc1, float[] y, int r, boolean accumulate) {
        if (accumulate) {
            acc0 = acc0.add(FloatVector.fromArray(W, y, r));
            acc1 = acc1.add(FloatVector.fromArray(W, y, r + HALF));
        }
        acc0.intoArray(y, r);
        acc1.intoArray(y, r + HALF);
    }

    /** Row {@code r} decoded into dst[o, o + cols), as {@link org.slim4j.tensor.Dequant} does (a tied embedding's lookup). */
    public abstract void decodeRow(int r, float[] dst, int o);

    /**
     * Rows [16 p, 16 p + 16) decoded into {@code panel} as [cols][16] floats ({@link PanelWeight}'s layout), values
     * bit-identical to {@link org.slim4j.tensor.Dequant}'s: one multiply of the code by its scale.
     */
    public abstract void decodePanel(int p, float[] panel);
}
