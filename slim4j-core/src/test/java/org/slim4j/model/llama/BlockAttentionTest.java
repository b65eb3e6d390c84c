package org.slim4j.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slim4j.tensor.kernel.KvCacheOptions;

/**
 * Prompt batches' blocked attention against the row-at-a-time path ({@link Attention#row}, the reference engine's) on
 * the same float32 cache: batches that start mid-sequence, batch sizes that are not whole blocks (padded lanes), a
 * sliding window shorter than a batch, and keys with large channels (sharp softmax). They agree to float rounding, in
 * Java and in C.
 */
class BlockAttentionTest {

    @ParameterizedTest
    @CsvSource({"0, 37, 0", "5, 16, 0", "21, 64, 0", "0, 1, 0", "40, 50, 24", "3, 33, 7"})
    void blocksMatchTheRowPath(int pos0, int n, int window) {
        LlamaConfig c = new LlamaConfig("llama", 256, 2, 4, 2, 64, 512, 100, 1e-5f, 10000, null,
                LlamaConfig.RopeLayout.values()[0], true, false, 4096, 1, new int[] {2}, window);
        int total = pos0 + n;
        KvCache cache = new KvCache(c, total, total, KvCacheOptions.F32);
        assertTrue(BlockAttention.serves(cache));
        SplittableRandom r = new SplittableRandom(pos0 * 31L + n);
        float[] k = new float[total * c.kvDim()], v = new float[total * c.kvDim()], q = new float[n * c.qDim()];
        for (int j = 0; j < k.length; j++) {
            k[j] = (float) (r.nextGaussian() * (j % c.headDim() == 3 ? 8 : 1));
            v[j] = (float) r.nextGaussian();
        }
        for (int j = 0; j < q.length; j++) q[j] = (float) r.nextGaussian();
        int l = 1;
        cache.store(l, k, v, total, 0);
        float[] rows = new float[n * c.qDim()], blocks = new float[n * c.qDim()];
        float[] s = new float[cache.scoresLength()];
        Attention a = new Attention(c);
        for (int i = 0; i < n; i++) for (int h = 0; h < c.heads(); h++) a.row(cache, l, q, i, pos0, h, s, rows);
        for (boolean nativeKernel : new boolean[] {false, true}) { // the Java kernel, then the C one where it loaded
            BlockAttention b = new BlockAttention(c, nativeKernel);
            assertTrue(b.fits());
            float[] scratch = new float[b.scratch(total)];
            java.util.Arrays.fill(blocks, 0f);
            for (int i0 = 0; i0 < n; i0 += BlockAttention.L) {
                for (int h = 0; h < c.heads(); h++) b.block(cache, l, q, i0, Math.min(BlockAttention.L, n - i0), pos0, h, scratch, blocks);
            }
            double worst = 0;
            for (int j = 0; j < rows.length; j++) worst = Math.max(worst, Math.abs(rows[j] - blocks[j]));
            assertTrue(worst < 2e-5, (nativeKernel ? "C" : "Java") + ": largest difference " + worst);
            assertNotEquals(0f, blocks[blocks.length - 1]); // the last row was written
        }
    }
}
