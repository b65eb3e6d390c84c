package org.slim4j.model.bert;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.eval.StsB;
import org.slim4j.compress.output.CompressedTensorsWriter;
import org.slim4j.tensor.DType;
import org.slim4j.testutil.Fixtures;
import org.slim4j.testutil.HfFolders;
import org.slim4j.tokenizer.HfTokenizer;

/**
 * The fast encoder against the exact path on the same weights (embeddings within 1e-6 cosine: only float summation
 * order differs) and against ONNX Runtime's last_hidden_state (2e-4, BertVsOrtTest's bound for the exact path);
 * integer-code weights against the same codes dequantized at load.
 */
@Tag("slow")
class FastBertTest {
    @TempDir static Path dir;

    @Test
    void equalsTheExactPathAndOnnxRuntimeInBothThreadingModes() throws Exception {
        List<String> sentences = StsB.read(Fixtures.DATA.resolve("stsb-dev.tsv")).sentences().subList(0, 96);
        try (BertModel exact = DefaultModels.allMiniLmL6V2(); FastBert fast = new FastBert(DefaultModels.allMiniLmL6V2(), 2, 0);
             OrtReference ort = new OrtReference(DefaultModels.files("all-minilm-l6-v2")[0], 2)) {
            float[][] want = exact.embed(sentences);
            float[][] batched = fast.embed(sentences); // split between the workers by text
            for (int i = 0; i < want.length; i++) {
                assertTrue(OrtReference.cosine(want[i], batched[i]) > 1 - 1e-6, sentences.get(i));
                if (i % 8 != 0) continue;
                float[] alone = fast.embed(List.of(sentences.get(i)))[0]; // one text: products split between workers
                assertTrue(OrtReference.cosine(want[i], alone) > 1 - 1e-6, sentences.get(i));
            }
            for (String s : List.of(sentences.get(0), "Hi", "word ".repeat(600))) {
                HfTokenizer.Encoded e = exact.tokenize(s);
                float[] a = fast.hiddenStates(e), b = ort.hiddenStates(e.ids(), e.typeIds());
                double maxDiff = 0;
                for (int i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                assertEquals(b.length, a.length);
                assertTrue(maxDiff < 2e-4, s.length() + " chars: max |diff| vs ORT " + maxDiff);
            }
        }
    }

    @Test
    void aCorpusInOneCallRunsInBoundedPassesWithTheSameEmbeddings() throws Exception {
        List<String> sentences = StsB.read(Fixtures.DATA.resolve("stsb-dev.tsv")).sentences().subList(0, 800); // > 4096 tokens a worker
        try (FastBert fast = new FastBert(DefaultModels.allMiniLmL6V2(), 2, 0)) {
            float[][] all = fast.embed(sentences);
            for (int i = 0; i < sentences.size(); i += 32) {
                List<String> batch = sentences.subList(i, Math.min(sentences.size(), i + 32));
                float[][] want = fast.embed(batch);
                for (int j = 0; j < batch.size(); j++) assertArrayEquals(want[j], all[i + j], batch.get(j));
            }
        }
    }

    @Test
    void integerCodesGiveTheEmbeddingsOfTheirLoadTimeDequantization() throws Exception {
        Path src = HfFolders.miniLm(dir.resolve("src"));
        Map<String, CompressedLinear> layers = HfFolders.compressAll(src, n -> n.startsWith("encoder."), w -> w.name().contains("query")
                ? Rtn.quantize(w, new QuantScheme(8, QuantScheme.PER_CHANNEL, true), false, "rtn")
                : Rtn.quantize(w, new QuantScheme(4, 32, false), false, "rtn"));
        Path out = dir.resolve("ct");
        new CompressedTensorsWriter(DType.F32).write(src, layers, out);
        List<String> texts = List.of("A man is playing a guitar.", "The cat sat on the mat.", "Stocks fell sharply on Monday.");
        var floatActivations = org.slim4j.tensor.kernel.EngineOptions.defaults().withThreads(2).withCKernels(false);
        try (BertModel exact = BertLoader.loadHf(out, Conventions.ALL_MINILM); FastBert fast = new FastBert(BertLoader.loadHf(out, Conventions.ALL_MINILM), floatActivations, 0)) {
            assertEquals("int4+8", fast.format()); // query int8, the rest int4, on float activations
            float[][] want = exact.embed(texts), got = fast.embed(texts);
            for (int i = 0; i < texts.size(); i++) assertTrue(OrtReference.cosine(want[i], got[i]) > 1 - 1e-6, texts.get(i));
            long f32Bytes = 6L * 4 * (4 * 384 * 384 + 2 * 384 * 1536);
            assertTrue(fast.weightBytes() < f32Bytes / 5, fast.weightBytes() + " bytes held for " + f32Bytes + " of F32");
        }
    }

    /**
     * Codes the C kernels take exactly (f16 scales: int8 symmetric, int4 symmetric and asymmetric in whole 32-blocks)
     * run on int8 activations: embeddings within 1e-3 cosine of the same codes on float activations (the Java path),
     * the activation rounding being the only difference.
     */
    @Test
    void integerCodesOnTheCKernelsStayCloseToFloatActivations() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.slim4j.tensor.kernel.NativeKernels.available(), org.slim4j.tensor.kernel.NativeKernels.status());
        Path src = HfFolders.miniLm(dir.resolve("src2"));
        Map<String, CompressedLinear> layers = HfFolders.compressAll(src, n -> n.startsWith("encoder."), w -> {
            // Q and K 4-bit asymmetric, V 8-bit: one stacked product of parts in two layouts (the -mix scheme's shape)
            QuantScheme s = w.name().contains("intermediate") || w.name().contains("query") || w.name().contains("key") ? new QuantScheme(4, 64, false)
                    : w.name().contains("attention.output") ? new QuantScheme(4, 32, true) : new QuantScheme(8, QuantScheme.PER_CHANNEL, true);
            return Rtn.quantize(w, s, false, "rtn");
        });
        Path out = dir.resolve("ct16");
        new CompressedTensorsWriter(DType.F16).write(src, layers, out);
        List<String> texts = StsB.read(Fixtures.DATA.resolve("stsb-dev.tsv")).sentences().subList(0, 40);
        var on = org.slim4j.tensor.kernel.EngineOptions.defaults().withThreads(2).withCKernels(true);
        try (FastBert c = new FastBert(BertLoader.loadHf(out, Conventions.ALL_MINILM), on, 0);
             FastBert java = new FastBert(BertLoader.loadHf(out, Conventions.ALL_MINILM), on.withCKernels(false), 0)) {
            assertEquals("int4+8 (C)", c.format()); // every linear on the C kernels, the mixed Q/K/V stack included
            float[][] want = java.embed(texts), got = c.embed(texts);
            double worst = 1;
            for (int i = 0; i < texts.size(); i++) worst = Math.min(worst, OrtReference.cosine(want[i], got[i]));
            float[] one = c.embed(List.of(texts.get(3)))[0]; // one text: products split between the workers
            worst = Math.min(worst, OrtReference.cosine(want[3], one));
            System.out.println("int8 activations on the C kernels vs float activations, same codes: min cosine " + worst);
            assertTrue(worst > 1 - 1e-3, "min cosine " + worst);
            assertTrue(c.weightBytes() < java.weightBytes() * 1.1, c.weightBytes() + " vs " + java.weightBytes());
        }
    }
}
