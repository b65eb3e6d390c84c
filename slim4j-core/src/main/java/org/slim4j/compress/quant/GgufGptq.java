package org.slim4j.compress.quant;

import java.util.Locale;
import java.util.function.Function;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.quant.BlockFit;

// GPTQ: Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers" (arXiv:2210.17323),
// with the grid of each group given by llama.cpp's block formats instead of a uniform integer grid.
/**
 * GPTQ straight into ggml's blocks, so the result is a GGUF tensor any llama.cpp loads: each (super-)block's scales and
 * mins are chosen by the target type's own rules (llama.cpp's importance-weighted searches, {@link BlockFit}) with the
 * layer's input mean squares as the importance (what an imatrix holds), then every value is rounded onto that block's
 * levels column by column while GPTQ's error feedback moves the rounding error of each column onto the columns not yet
 * rounded, in proportion to the inverse Hessian of the layer's output error (H = 2 X^T X / n). Without act-order a
 * block is fitted when its first column comes up, on the weights as updated by the error feedback so far (the types'
 * scales then follow what is left to round); with act-order (columns by decreasing H diagonal) every block is fitted up
 * front on the original weights. The types of the tensors come from a function of their (GGUF) names.
 */
public final class GgufGptq implements Compressor {
    private final Function<String, DType> typeOf;
    private final double dampening;
    private final int blockSize;
    private final boolean actOrder;

    public GgufGptq(Function<String, DType> typeOf, double dampening, boolean actOrder) {
        if (dampening < 0) throw new IllegalArgumentException("dampening must be >= 0");
        this.typeOf = typeOf;
        this.dampening = dampening;
        this.blockSize = 128;
        this.actOrder = actOrder;
    }

    @Override
    public String name() {
        return "gptq";
    }

    @Override
    public boolean needsGram() {
        return true;
    }

    @Override
    public boolean feedsErrorBack() {
        return true;
    }

    @Override
    public CompressedLinear compress(LinearWeight weight, InputStats stats) {
        return quantize(weight, typeOf.apply(weight.name()), stats.hessian(), stats.meanSquares());
    }

    /** {@code weight} in {@code type} against Hessian h [cols, cols] (modified), blocks fitted with importance qw [cols]. */
    public GgufBlocks quantize(LinearWeight weight, DType type, double[] h, float[] qw) {
        if (!BlockFit.supports(type)) throw new IllegalArgumentException(weight.name() + ": no calibrated rounding into " + type);
        int rows = weight.rows(), cols = weight.cols();
        if (cols % type.blockSize != 0) throw new IllegalArgumentException(weight.name() + ": rows of " + cols + " are not whole " + type + " blocks");
        Gptq.Factor f = Gptq.factor(weight.w(), rows, cols, h, actOrder, dampening);
        long rowBytes = type.bytesFor(cols);
        byte[] data = new byte[Math.toIntExact(rows * rowBytes)];
        Gptq.pass(rows, cols, f, blockSize, (r, x, at) -> row(f, r, cols, type, qw, x, at, data, (int) (r * rowBytes)));
        return new GgufBlocks(rows, cols, type, data, String.format(Locale.ROOT, "gptq%s damp %.3g", actOrder ? " act-order" : "", dampening));
    }

    private Gptq.Row row(Gptq.Factor f, int r, int cols, DType type, float[] qw, double[] x, int at, byte[] data, int out) {
        int bs = type.blockSize, nb = cols / bs;
        int[] perm = f.perm();
        float[] row = new float[cols];
        System.arraycopy(f.w(), r * cols, row, 0, cols);
        float rowSigma2 = meanSquare(row);
        for (int j = 0; j < cols; j++) x[at + j] = row[perm[j]];
        byte[][] blocks = new byte[nb][type.blockBytes];
        byte[][] codes = new byte[nb][bs];
        BlockFit.Grid[] grids = new BlockFit.Grid[nb];
        if (actOrder) {
            for (int k = 0; k < nb; k++) {
                BlockFit.fit(type, row, k * bs, qw, k * bs, rowSigma2, blocks[k]);
                grids[k] = BlockFit.grid(type, blocks[k]);
            }
        }
        float[] current = new float[cols];
        return new Gptq.Row() {
            @Override
            public double round(int j, int c, double[] xs, int o) {
                int k = c / bs, i = c % bs;
                if (grids[k] == null) { // no act-order, so c == j: fit the block on its values as updated so far
                    for (int t = 0; t < bs; t++) current[k * bs + t] = (float) xs[o + j + t];
                    BlockFit.fit(type, current, k * bs, qw, k * bs, rowSigma2, blocks[k]);
                    grids[k] = BlockFit.grid(type, blocks[k]);
                }
                int level = grids[k].nearest(i, (float) xs[o + j]);
                codes[k][i] = (byte) level;
                return grids[k].value(i, level);
            }

            @Override
            public void done() {
                for (int k = 0; k < nb; k++) {
                    BlockFit.pack(type, codes[k], blocks[k]);
                    System.arraycopy(blocks[k], 0, data, out + k * type.blockBytes, type.blockBytes);
                }
            }
        };
    }

    private static float meanSquare(float[] v) {
        float s = 0;
        for (float x : v) s += x * x;
        return s / v.length;
    }
}
