package org.slim4j.tensor.kernel;

import org.slim4j.tensor.Tensor;

/**
 * A weight of any type, still in its mapped file, seen as {@link PackedGemm} panels: a panel's 16 rows are decoded
 * ({@link FastDequant}) into this thread's panel buffer when the GEMM asks for its first input chunk, and the later
 * chunks of the same panel read that buffer. Prefill multiplies every weight by up to a few hundred activation
 * rows, so one decode per panel and row block costs little next to the GEMM, and no decoded copy of the model is
 * kept. Rows that are not whole blocks of the type are rejected by {@link MatVec#check} before this is built.
 *
 * <p>Relies on {@link PackedGemm#run}'s order: every input chunk of a panel comes right after its first one, on the
 * same thread; two panels in flight at once (the 512-bit tile) have consecutive indices, so one buffer per parity.
 */
public final class TensorPanels implements PanelWeight {
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[3][0]);

    private final Tensor w;
    private final InterleavedRows interleaved;
    private final int out, in;

    private TensorPanels(Tensor w, InterleavedRows interleaved) {
        this.w = w;
        this.interleaved = interleaved;
        this.out = Math.toIntExact(w.rows());
        this.in = Math.toIntExact(w.cols());
    }

    /** Panels over {@code w}, or null when its rows do not fill whole 16-row panels. */
    public static TensorPanels of(Tensor w) {
        return w.rows() % WIDTH == 0 && w.rows() > 0 ? new TensorPanels(w, null) : null;
    }

    /** Panels decoded from the interleaved copy instead of the file, whose pages may have been released. */
    public static TensorPanels of(InterleavedRows w) {
        return new TensorPanels(w.source(), w);
    }

    @Override public int out() { return out; }

    @Override public int in() { return in; }

    @Override
    public float[] view(int p, int k0, int k1, float[] buf) {
        float[][] bufs = BUFFERS.get();
        if (bufs[0].length < WIDTH * in) {
            bufs[0] = new float[WIDTH * in];
            bufs[1] = new float[WIDTH * in];
            bufs[2] = new float[in];
        }
        float[] panel = bufs[p & 1];
        if (k0 == 0 && interleaved != null) {
            interleaved.decodePanel(p, panel);
        } else if (k0 == 0) {
            float[] row = bufs[2];
            long rb = w.rowBytes();
            for (int c = 0; c < WIDTH; c++) {
                FastDequant.decode(w.dtype(), w.data(), (long) (p * WIDTH + c) * rb, row, 0, in);
                for (int k = 0; k < in; k++) panel[k * WIDTH + c] = row[k];
            }
        }
        return panel;
    }

    /** Prompt batches are at most a few hundred rows (128 in FastLlama): one block, one decode per panel. */
    @Override
    public int rowBlock() {
        return Integer.MAX_VALUE;
    }

    @Override
    public int base(int p, int k0) {
        return k0 * WIDTH;
    }

    @Override
    public long bytes() {
        return w.data().byteSize();
    }
}
