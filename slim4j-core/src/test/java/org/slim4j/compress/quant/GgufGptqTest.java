package org.slim4j.compress.quant;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slim4j.compress.InputStats;
import org.slim4j.compress.LinearWeight;
import org.slim4j.compress.OutputError;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.quant.ImatrixEncoder;

class GgufGptqTest {
    private static final DType[] TYPES = {DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q2_K, DType.Q3_K, DType.Q4_K,
        DType.Q5_K, DType.Q6_K, DType.IQ4_NL, DType.IQ4_XS};

    /** Correlated inputs with uneven channel scales, as a trained model's activations have. */
    private static float[] inputs(int n, int cols, Random rnd) {
        float[] x = new float[n * cols];
        float[] scale = new float[cols];
        for (int j = 0; j < cols; j++) scale[j] = (float) Math.exp(rnd.nextGaussian());
        for (int i = 0; i < n; i++) {
            double common = rnd.nextGaussian();
            for (int j = 0; j < cols; j++) x[i * cols + j] = (float) ((0.7 * common + rnd.nextGaussian()) * scale[j]);
        }
        return x;
    }

    /** The importance-weighted round-to-nearest llama-quantize --imatrix writes, decoded. */
    private static float[] imatrixRtn(LinearWeight w, DType type, float[] qw) {
        int cols = w.cols();
        long rb = type.bytesFor(cols);
        float[] out = new float[w.rows() * cols];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(rb * w.rows(), 64);
            for (int r = 0; r < w.rows(); r++) {
                float[] row = java.util.Arrays.copyOfRange(w.w(), r * cols, (r + 1) * cols);
                if (ImatrixEncoder.supports(type)) ImatrixEncoder.encodeRow(type, row, qw, seg, r * rb);
                else org.slim4j.tensor.quant.BlockCodecs.encoder(type).encode(row, 0, seg, r * rb, cols);
                Dequant.decode(type, seg, r * rb, out, r * cols, cols);
            }
        }
        return out;
    }

    @Test
    void everyTypeDecodesAndBeatsImportanceWeightedRounding() {
        Random rnd = new Random(11);
        int rows = 12, cols = 256;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.05);
        LinearWeight lw = new LinearWeight("blk.0.ffn_up.weight", rows, cols, w);
        InputStats stats = new InputStats(cols, true);
        stats.add(inputs(1024, cols, rnd), 1024);
        float[] qw = new float[cols];
        for (int j = 0; j < cols; j++) qw[j] = (float) (stats.gram()[j * cols + j] / stats.samples());
        for (DType type : TYPES) {
            for (boolean actOrder : new boolean[] {false, true}) {
                GgufGptq g = new GgufGptq(n -> type, 0.01, actOrder);
                GgufBlocks q = (GgufBlocks) g.compress(lw, stats);
                assertEquals(type, q.type());
                assertEquals(8L * rows * type.bytesFor(cols), q.storageBits());
                float[] eff = q.effectiveWeight(); // the exact decoding of the bytes a GGUF stores
                for (float v : eff) assertTrue(Float.isFinite(v), type + ": non-finite value");
                double gptq = OutputError.relative(w, eff, rows, cols, stats.gram());
                double rtn = OutputError.relative(w, imatrixRtn(lw, type, qw), rows, cols, stats.gram());
                System.out.printf("%s act-order %s: gptq %.5f rtn %.5f ratio %.3f%n", type, actOrder, gptq, rtn, gptq / rtn);
                assertTrue(gptq < 0.95 * rtn, type + " act-order " + actOrder + ": gptq " + gptq + " vs importance-weighted rounding " + rtn);
            }
        }
    }
}
