package org.slim4j.compress.structured;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.compress.bench.DecoderBench;
import org.slim4j.convert.HfToGguf;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.model.llama.LlamaWeights;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;

/**
 * Head and FFN-channel removal on tiny-llama-rand (4 layers, 4 query heads in 2 KV groups, FFN 768): the smaller
 * folder computes exactly what the original computes with the removed units silenced, and ranking FFN channels by
 * calibration importance loses less than removing the same number by index or the most important ones. KLD on Tiny
 * Shakespeare chunks, calibration on WikiText-2 windows ({@link DecoderBench}).
 */
@Tag("slow")
class LlamaShrinkTest {
    static DecoderBench bench;
    static LlamaImportance importance;

    @BeforeAll
    static void measure() {
        bench = new DecoderBench(16, 4);
        try (LlamaModel m = LlamaLoader.loadHf(Fixtures.TINY_LLAMA)) {
            importance = LlamaImportance.measure(m, bench.calibration);
        }
    }

    @Test
    void shrunkFolderEqualsTheOriginalWithTheRemovedUnitsSilenced(@TempDir Path dir) throws Exception {
        List<List<Integer>> heads = importance.keepGroups(1), chans = importance.keepChannels(384);
        int[] prompt = Fixtures.promptTokens();
        float[] silenced;
        try (LlamaModel m = LlamaLoader.loadHf(Fixtures.TINY_LLAMA)) {
            // a query head's only way into the residual stream is its o_proj columns, a channel's its down_proj columns
            LlamaWeights w = m.weights();
            LlamaWeights.Layer[] layers = w.layers().clone();
            for (int l = 0; l < layers.length; l++) {
                var L = layers[l];
                List<Integer> headCols = new ArrayList<>();
                for (int h : heads.get(l)) for (int j = 0; j < 64; j++) headCols.add(h * 64 + j);
                layers[l] = new LlamaWeights.Layer(L.attnNorm(), L.wq(), L.wk(), L.wv(), keepColumns(L.wo(), headCols), L.bq(), L.bk(), L.bv(),
                        L.ffnNorm(), L.wGate(), L.wUp(), keepColumns(L.wDown(), chans.get(l)));
            }
            m.setWeights(new LlamaWeights(w.embedding(), layers, w.outputNorm(), w.output(), w.ropeFactors()));
            silenced = m.logits(prompt);
        }
        LlamaShrink.write(Fixtures.TINY_LLAMA, dir, heads, chans);
        float[] got;
        try (LlamaModel small = LlamaLoader.loadHf(dir)) {
            assertEquals(2, small.config().heads());
            assertEquals(1, small.config().kvHeads());
            assertEquals(64, small.config().headDim());
            assertEquals(384, small.config().ffn());
            got = small.logits(prompt);
            for (int i = 0; i < got.length; i++) assertEquals(silenced[i], got[i], 1e-3, "logit " + i);
        }
        // per layer: q and o lose 2 heads x 64 x 256, k and v one group's 64 x 256, gate/up/down 384 x 256 each; BF16
        long removed = 4L * 2 * (2 * 128 * 256 + 2 * 64 * 256 + 3 * 384 * 256);
        assertEquals(Files.size(Fixtures.TINY_LLAMA.resolve("model.safetensors")) - removed, Files.size(dir.resolve("model.safetensors")), 1024);
        // llama.cpp's layout of the same model: Q/K rows permuted per head, head_dim no longer hidden / heads
        Path gguf = dir.resolve("small.gguf");
        HfToGguf.convert(dir, gguf, null);
        try (LlamaModel g = LlamaLoader.load(gguf)) {
            float[] fromGguf = g.logits(prompt);
            for (int i = 0; i < got.length; i++) assertEquals(got[i], fromGguf[i], 1e-3, "GGUF logit " + i);
        }
    }

    @Test
    void queryHeadsGoWithinEveryGroup(@TempDir Path dir) {
        LlamaShrink.write(Fixtures.TINY_LLAMA, dir, importance.keepHeadsPerGroup(1), null);
        try (LlamaModel small = LlamaLoader.loadHf(dir)) {
            assertEquals(2, small.config().heads());
            assertEquals(2, small.config().kvHeads());
            assertEquals(768, small.config().ffn());
            for (float v : small.logits(Fixtures.promptTokens())) assertTrue(Float.isFinite(v));
        }
        assertThrows(IllegalArgumentException.class, () -> LlamaShrink.write(Fixtures.TINY_LLAMA, dir.resolve("bad"),
                List.of(List.of(0, 1, 2), List.of(0, 1, 2), List.of(0, 1, 2), List.of(0, 1, 2)), null), "groups keeping 2 and 1 heads");
    }

    @Test
    void ffnChannelsByImportanceLoseLessThanByIndexOrTheMostImportant(@TempDir Path dir) {
        LlamaImportance reversed = new LlamaImportance(negate(importance.heads()), negate(importance.channels()), importance.kvHeads());
        LlamaImportance byIndex = new LlamaImportance(ramp(importance.heads()), ramp(importance.channels()), importance.kvHeads());
        String[] labels = {"importance", "lowest index", "most important"};
        LlamaImportance[] rankings = {importance, byIndex, reversed};
        double[][] kld = new double[3][3];
        for (int i = 0; i < 3; i++) {
            LlamaImportance r = rankings[i];
            kld[i][0] = kld(dir.resolve(i + "-groups"), r.keepGroups(1), null);
            kld[i][1] = kld(dir.resolve(i + "-heads"), r.keepHeadsPerGroup(1), null);
            kld[i][2] = kld(dir.resolve(i + "-ffn"), null, r.keepChannels(384));
            System.out.printf(Locale.ROOT, "tiny-llama-rand %-15s KLD: KV group -1 %.5f, query head -1 per group %.5f, FFN -50%% %.5f%n", labels[i], kld[i][0], kld[i][1], kld[i][2]);
        }
        // 768 channels with calibration energies far apart: the ranking must matter
        assertTrue(kld[0][2] < kld[1][2] && kld[1][2] < kld[2][2], "FFN channels: importance < by index < most important");
        // 2 KV groups of 2 query heads with random weights: every choice of heads costs about the same (within ~2%),
        // so for heads the test asks only that removal runs and changes the model
        for (double[] k : kld) for (double v : k) assertTrue(v > 0 && Double.isFinite(v), java.util.Arrays.deepToString(kld));
    }

    double kld(Path dir, List<List<Integer>> heads, List<List<Integer>> chans) {
        LlamaShrink.write(Fixtures.TINY_LLAMA, dir, heads, chans);
        return bench.kld(dir).meanKld();
    }

    static double[][] negate(double[][] a) {
        double[][] r = new double[a.length][];
        for (int i = 0; i < a.length; i++) r[i] = java.util.Arrays.stream(a[i]).map(v -> -v).toArray();
        return r;
    }

    /** Importance that grows with the index: the lowest-indexed units go first. */
    static double[][] ramp(double[][] a) {
        double[][] r = new double[a.length][];
        for (int i = 0; i < a.length; i++) r[i] = java.util.stream.IntStream.range(0, a[i].length).asDoubleStream().toArray();
        return r;
    }

    static Tensor keepColumns(Tensor t, List<Integer> keep) {
        float[] v = Dequant.toFloats(t);
        int cols = (int) t.cols();
        boolean[] kept = new boolean[cols];
        for (int c : keep) kept[c] = true;
        for (int i = 0; i < v.length; i++) if (!kept[i % cols]) v[i] = 0;
        return new Tensor(t.name(), DType.F32, t.shape(), MemorySegment.ofArray(v));
    }
}
