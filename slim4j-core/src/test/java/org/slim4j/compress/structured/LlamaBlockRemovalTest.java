package org.slim4j.compress.structured;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.compress.calib.CalibrationText;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.model.llama.LlamaWeights;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;

class LlamaBlockRemovalTest {

    @Test
    void removedBlockFolderEqualsTheOriginalWithThatBlockSilenced(@TempDir Path dir) throws Exception {
        double[] bi;
        List<Integer> keep;
        float[] silenced;
        int[] prompt = Fixtures.promptTokens();
        try (LlamaModel m = LlamaLoader.loadHf(Fixtures.TINY_LLAMA)) {
            int[][] calib = CalibrationText.tokens(List.of(Fixtures.DATA.resolve("wikitext-2-raw-test.txt")), m.tokenizer(), 4, 64, 1);
            bi = LlamaBlockRemoval.blockInfluence(m, calib);
            keep = LlamaBlockRemoval.keep(bi, 1);
            // zeroing a block's two residual writers (attention output, FFN down) makes it the identity
            int gone = -1;
            for (int l = 0; l < 4; l++) if (!keep.contains(l)) gone = l;
            LlamaWeights w = m.weights();
            LlamaWeights.Layer[] layers = w.layers().clone();
            var L = layers[gone];
            layers[gone] = new LlamaWeights.Layer(L.attnNorm(), L.wq(), L.wk(), L.wv(), zeros(L.wo()), L.bq(), L.bk(), L.bv(), L.ffnNorm(),
                    L.wGate(), L.wUp(), zeros(L.wDown()));
            m.setWeights(new LlamaWeights(w.embedding(), layers, w.outputNorm(), w.output(), w.ropeFactors()));
            silenced = m.logits(prompt);
        }
        for (double v : bi) assertTrue(v > 0 && v < 2, "influence " + v);
        assertEquals(3, keep.size());
        LlamaBlockRemoval.write(Fixtures.TINY_LLAMA, dir, keep);
        try (LlamaModel small = LlamaLoader.loadHf(dir)) {
            assertEquals(3, small.config().layers());
            float[] got = small.logits(prompt);
            for (int i = 0; i < got.length; i++) assertEquals(silenced[i], got[i], 1e-3, "logit " + i);
        }
        long layerBytes = 2L * (256 * 256 + 2 * 128 * 256 + 256 * 256 + 3 * 768 * 256 + 2 * 256); // BF16
        assertEquals(Files.size(Fixtures.TINY_LLAMA.resolve("model.safetensors")) - layerBytes, Files.size(dir.resolve("model.safetensors")), 1024);
    }

    static Tensor zeros(Tensor like) {
        return new Tensor(like.name(), DType.F32, like.shape(), java.lang.foreign.MemorySegment.ofArray(new float[(int) like.elements()]));
    }
}
