package org.slim4j.model.bert;

import org.junit.jupiter.api.Tag;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.eval.Fidelity;
import org.slim4j.eval.Sts;
import org.slim4j.eval.StsB;
import org.slim4j.testutil.Fixtures;
import org.slim4j.tokenizer.HfTokenizer;

/** The two classpath encoders against ONNX Runtime on the same .onnx file, over every distinct STS-B dev sentence. */
@Tag("slow")
class BertVsOrtTest {
    private static final int ORT_BATCH = 32;

    @ParameterizedTest
    @ValueSource(strings = {"all-minilm-l6-v2", "bge-small-en-v1.5"})
    void matchesOnnxRuntimeOnStsBDev(String name) throws Exception {
        Supplier<BertModel> load = name.startsWith("bge") ? DefaultModels::bgeSmallEnV15 : DefaultModels::allMiniLmL6V2;
        Path onnx = DefaultModels.files(name)[0];
        StsB data = StsB.read(Fixtures.DATA.resolve("stsb-dev.tsv"));
        List<String> sentences = data.sentences();
        try (BertModel m = load.get(); OrtReference ort = new OrtReference(onnx, 2)) {
            BertConfig c = m.config();
            assertEquals(384, c.hidden());
            assertEquals(name.startsWith("bge") ? 12 : 6, c.layers());
            assertEquals(12, c.heads()); // read from the graph's Reshape constants, not assumed
            assertEquals(1e-12, c.layerNormEps(), 1e-18);
            assertEquals(name.startsWith("bge") ? Conventions.Pooling.CLS : Conventions.Pooling.MEAN, m.conventions().pooling());

            // token level: last_hidden_state, including an input cut to 512 positions
            String longText = "word ".repeat(600);
            for (String s : List.of(sentences.get(0), "Hi", longText)) {
                HfTokenizer.Encoded e = m.tokenize(s);
                float[] a = m.hiddenStates(e.ids(), e.typeIds()), b = ort.hiddenStates(e.ids(), e.typeIds());
                assertEquals(b.length, a.length);
                double maxDiff = 0;
                for (int i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                assertTrue(maxDiff < 2e-4, s.length() + " chars: max |diff| " + maxDiff);
            }
            assertEquals(512, m.tokenize(longText).ids().length);

            long t0 = System.nanoTime();
            float[][] ours = m.embed(sentences);
            double oursSec = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            float[][] ref = new float[sentences.size()][];
            Integer[] byLength = new Integer[ref.length];
            HfTokenizer.Encoded[] enc = new HfTokenizer.Encoded[ref.length];
            for (int i = 0; i < ref.length; i++) {
                byLength[i] = i;
                enc[i] = m.tokenize(sentences.get(i));
            }
            // batches of similar length keep padding small; each batch still pads most of its texts
            java.util.Arrays.sort(byLength, java.util.Comparator.comparingInt(i -> enc[i].ids().length));
            for (int from = 0; from < ref.length; from += ORT_BATCH) {
                List<Integer> idx = List.of(byLength).subList(from, Math.min(ref.length, from + ORT_BATCH));
                float[][] rows = ort.hiddenStatesPadded(idx.stream().map(i -> enc[i]).toList());
                for (int j = 0; j < rows.length; j++) {
                    int i = idx.get(j);
                    ref[i] = OrtReference.pool(rows[j], enc[i].ids().length, c.hidden(), m.conventions().pooling());
                }
            }
            double ortSec = (System.nanoTime() - t0) / 1e9;

            double min = 1;
            int worst = -1;
            for (int i = 0; i < ref.length; i++) {
                double cos = OrtReference.cosine(ours[i], ref[i]);
                if (cos < min) {
                    min = cos;
                    worst = i;
                }
                double norm = OrtReference.cosine(ours[i], ours[i]);
                assertEquals(1, norm, 1e-6);
            }
            assertTrue(min >= 0.99999, "min cosine " + min + " at: " + sentences.get(worst));
            assertArrayEquals(ours[5], m.embed(List.of(sentences.get(5)))[0], 1e-6f, "one text alone must equal the same text in a batch");

            Map<String, float[]> ortBy = new HashMap<>();
            for (int i = 0; i < ref.length; i++) ortBy.put(sentences.get(i), ref[i]);
            Map<String, float[]> oursBy = new HashMap<>();
            for (int i = 0; i < ours.length; i++) oursBy.put(sentences.get(i), ours[i]);
            double sOrt = Sts.spearman100(data, ortBy::get), sOurs = Sts.spearman100(data, oursBy::get);
            assertEquals(sOrt, sOurs, 0.01);
            assertTrue(sOrt > 80, "STS-B dev Spearman of ORT itself: " + sOrt);
            Fidelity fid = Fidelity.of(ref, ours);
            assertTrue(fid.top10Overlap() > 0.99, fid.toString());
            System.out.printf("%s: %d sentences (%d pairs, %d malformed lines); Spearman x100 ORT %.4f slim4j %.4f; min cosine 1 - %.2e; %s;"
                    + " slim4j %.1f s, ORT %.1f s (2 threads, padded batches of " + ORT_BATCH + ")%n", name, sentences.size(), data.pairs().size(), data.malformed(),
                    sOrt, sOurs, 1 - min, fid, oursSec, ortSec);
        }
    }
}
