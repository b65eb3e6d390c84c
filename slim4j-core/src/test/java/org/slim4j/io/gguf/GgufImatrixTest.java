package org.slim4j.io.gguf;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.convert.HfToGguf;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;

/** GgufQuantizer with an importance matrix: llama-quantize's imatrix keys, and a lower importance-weighted error. */
class GgufImatrixTest {

    @Test
    void imatrixKeysAndWeightedErrorOnTinyLlama(@TempDir Path tmp) {
        Path f32 = tmp.resolve("f32.gguf");
        HfToGguf.convert(Fixtures.TINY_LLAMA, f32, DType.F32);
        Imatrix im = new Imatrix("synthetic.imatrix", "random activations");
        Random rnd = new Random(2);
        int n = 64;
        String[] tensors = {"blk.0.attn_q.weight", "blk.0.ffn_up.weight"};
        for (String t : tensors) {
            float[] x = new float[n * 256];
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * ((i % 256) % 16 == 3 ? 8 : 1));
            im.add(t, x, n, 256);
        }
        im.setChunks(4, 64);
        Path plain = tmp.resolve("q4_0.gguf"), weighted = tmp.resolve("q4_0-imatrix.gguf");
        GgufQuantizer.quantize(f32, plain, LlamaFileType.MOSTLY_Q4_0, null, true);
        GgufQuantizer.quantize(f32, weighted, LlamaFileType.MOSTLY_Q4_0, null, true, im);
        try (GgufFile src = GgufFile.open(f32); GgufFile a = GgufFile.open(plain); GgufFile b = GgufFile.open(weighted)) {
            assertEquals("synthetic.imatrix", b.string("quantize.imatrix.file"));
            assertEquals("random activations", b.string("quantize.imatrix.dataset"));
            assertEquals(2, b.integer("quantize.imatrix.entries_count"));
            assertEquals(4, b.integer("quantize.imatrix.chunks_count"));
            
            for (String t : tensors) {
                float[] qw = im.importance(t), x = Dequant.toFloats(src.tensor(t));
                double ea = err(x, Dequant.toFloats(a.tensor(t)), qw), eb = err(x, Dequant.toFloats(b.tensor(t)), qw);
                System.out.printf("%s: importance-weighted error Q4_0 %.5f, Q4_0 + imatrix %.5f%n", t, ea, eb);
                assertTrue(eb < ea, t + ": " + eb + " vs " + ea);
            }
            Tensor untouched = b.tensor("blk.1.attn_q.weight");
            assertEquals(-1, untouched.data().mismatch(a.tensor("blk.1.attn_q.weight").data()), "tensors without an entry are quantized as before");
        }
    }

    private static double err(float[] x, float[] q, float[] qw) {
        double e = 0;
        for (int i = 0; i < x.length; i++) e += qw[i % qw.length] * (x[i] - q[i]) * (x[i] - q[i]);
        return e;
    }
}
