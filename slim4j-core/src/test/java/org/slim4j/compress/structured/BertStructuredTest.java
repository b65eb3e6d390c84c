package org.slim4j.compress.structured;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.compress.calib.CalibrationText;
import org.slim4j.model.bert.BertConfig;
import org.slim4j.model.bert.BertLoader;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.BertWeights;
import org.slim4j.model.bert.Conventions;
import org.slim4j.model.bert.DefaultModels;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;

/**
 * Structured removal must produce a smaller folder that loads and computes exactly what the original computes with
 * the removed units' contributions zeroed: that pins down the slicing, the config keys and the loader together.
 */
@Tag("slow")
class BertStructuredTest {
    static List<String> calib, probe;
    static BertImportance importance;

    @BeforeAll
    static void measure() {
        calib = CalibrationText.sentences(List.of(Fixtures.DATA.resolve("stsb-train.tsv")), 16, 1);
        probe = List.of("A man is playing a guitar.", "The cat sits on the mat while it rains outside.", "Stocks fell sharply on Monday.");
        try (BertModel m = DefaultModels.allMiniLmL6V2()) {
            importance = BertImportance.measure(m, calib);
        }
    }

    static Path tokenizer() {
        return DefaultModels.files("all-minilm-l6-v2")[1];
    }

    static void assertClose(float[][] a, float[][] b, double tol) {
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[i].length; j++) assertEquals(a[i][j], b[i][j], tol, "text " + i + " dim " + j);
    }

    static long folderBytes(Path dir) throws Exception {
        return Files.size(dir.resolve("model.safetensors"));
    }

    /** The original model with the removed heads' attention-output columns and removed channels' output columns zeroed. */
    static float[][] zeroedReference(List<List<Integer>> heads, List<List<Integer>> channels) {
        try (BertModel m = DefaultModels.allMiniLmL6V2()) {
            BertConfig c = m.config();
            List<BertWeights.Layer> layers = new ArrayList<>(m.weights().layers());
            for (int l = 0; l < layers.size(); l++) {
                var L = layers.get(l);
                float[] ao = Dequant.toFloats(L.attnOut()), out = Dequant.toFloats(L.out());
                int h = c.hidden(), f = c.intermediate();
                for (int col = 0; col < h; col++) if (!heads.get(l).contains(col / c.headSize())) for (int r = 0; r < h; r++) ao[r * h + col] = 0;
                for (int col = 0; col < f; col++) if (!channels.get(l).contains(col)) for (int r = 0; r < h; r++) out[r * f + col] = 0;
                layers.set(l, new BertWeights.Layer(L.q(), L.qb(), L.k(), L.kb(), L.v(), L.vb(), f32(L.attnOut(), ao), L.attnOutB(), L.attnNormW(),
                        L.attnNormB(), L.inter(), L.interB(), f32(L.out(), out), L.outB(), L.outNormW(), L.outNormB()));
            }
            var w = m.weights();
            m.setWeights(new BertWeights(w.wordEmb(), w.posEmb(), w.typeEmb(), w.embNormW(), w.embNormB(), layers));
            return m.embed(probe);
        }
    }

    static Tensor f32(Tensor like, float[] v) {
        return new Tensor(like.name(), DType.F32, like.shape(), java.lang.foreign.MemorySegment.ofArray(v));
    }

    @Test
    void keepingEverythingRoundTripsThroughTheFolder(@TempDir Path dir) throws Exception {
        try (BertModel m = DefaultModels.allMiniLmL6V2()) {
            float[][] ref = m.embed(probe);
            BertFolder.write(BertShrink.of(m, BertShrink.range(6), null, null), Conventions.ALL_MINILM, tokenizer(), dir);
            try (BertModel back = BertLoader.loadHf(dir, Conventions.BGE)) { // the folder's pooling config must win over BGE's CLS
                assertClose(ref, back.embed(probe), 1e-6);
            }
        }
    }

    @Test
    void headAndChannelRemovalShrinksTheFileAndEqualsZeroingThem(@TempDir Path dir) throws Exception {
        List<List<Integer>> heads = importance.keepHeads(0.25), chans = importance.keepChannels(0.5);
        for (int l = 0; l < 6; l++) {
            assertEquals(9, heads.get(l).size());
            assertEquals(768, chans.get(l).size());
        }
        try (BertModel m = DefaultModels.allMiniLmL6V2()) {
            BertShrink s = BertShrink.of(m, BertShrink.range(6), heads, chans);
            BertFolder.write(s, Conventions.ALL_MINILM, tokenizer(), dir);
        }
        String cfg = Files.readString(dir.resolve("config.json"));
        assertTrue(cfg.contains("pruned_heads") && cfg.contains("slim4j_intermediate_sizes"), cfg);
        try (BertModel back = BertLoader.loadHf(dir, Conventions.ALL_MINILM)) {
            assertEquals(9, back.config().headsAt(3));
            assertEquals(768, back.config().intermediateAt(3));
            assertEquals(9 * 32, back.weights().layers().get(3).q().shape()[0]);
            assertClose(zeroedReference(heads, chans), back.embed(probe), 2e-5);
        }
        // per layer: 3 heads (q/k/v rows + attention-output columns, 4 x 384 x 96, and 3 x 96 biases) and 768 channels
        // (2 x 384 x 768 weights, 768 biases), in float32
        long removed = 6L * (4 * 384 * 96 + 3 * 96 + 2 * 384 * 768 + 768) * 4;
        Path full = dir.resolveSibling(dir.getFileName() + "-full");
        try (BertModel m = DefaultModels.allMiniLmL6V2()) {
            BertFolder.write(BertShrink.of(m, BertShrink.range(6), null, null), Conventions.ALL_MINILM, tokenizer(), full);
        }
        assertEquals(folderBytes(full) - removed, folderBytes(dir), 512); // headers differ a little
    }

    @Test
    void blockRemovalDropsTheLeastInfluentialLayersAndLoads(@TempDir Path dir) {
        for (double v : importance.blockInfluence()) assertTrue(v > 0 && v < 1, "block influence " + v);
        List<Integer> keep = importance.keepLayers(2);
        assertEquals(4, keep.size());
        double keptMin = keep.stream().mapToDouble(l -> importance.blockInfluence()[l]).min().orElseThrow();
        for (int l = 0; l < 6; l++) if (!keep.contains(l)) assertTrue(importance.blockInfluence()[l] <= keptMin);
        try (BertModel m = DefaultModels.allMiniLmL6V2()) {
            BertFolder.write(BertShrink.of(m, keep, null, null), Conventions.ALL_MINILM, tokenizer(), dir);
        }
        try (BertModel back = BertLoader.loadHf(dir, Conventions.ALL_MINILM)) {
            assertEquals(4, back.config().layers());
            float[][] e = back.embed(probe);
            assertEquals(384, e[0].length);
            assertTrue(Double.isFinite(e[0][0]));
        }
    }

    @Test
    void skippingAnFfnEqualsZeroingItsOutput(@TempDir Path dir) {
        List<List<Integer>> chans = importance.skipFfn(2), heads = importance.keepHeads(0);
        assertEquals(2, chans.stream().filter(List::isEmpty).count());
        try (BertModel m = DefaultModels.allMiniLmL6V2()) {
            BertFolder.write(BertShrink.of(m, BertShrink.range(6), null, chans), Conventions.ALL_MINILM, tokenizer(), dir);
        }
        try (BertModel back = BertLoader.loadHf(dir, Conventions.ALL_MINILM)) {
            int skipped = chans.indexOf(List.of());
            assertEquals(0, back.config().intermediateAt(skipped));
            assertNull(back.weights().layers().get(skipped).inter());
            assertClose(zeroedReference(heads, chans), back.embed(probe), 2e-5);
        }
    }
}
