package org.slim4j.compress.calib;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slim4j.compress.CompressionPlan;
import org.slim4j.compress.Compressor;
import org.slim4j.compress.quant.Awq;
import org.slim4j.compress.quant.Gptq;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.eval.Fidelity;
import org.slim4j.eval.StsB;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.DefaultModels;
import org.slim4j.model.bert.FastBert;
import org.slim4j.testutil.Fixtures;
import org.slim4j.util.Progress;

/**
 * all-MiniLM-L6-v2, linear layers only (as the ONNX Runtime anchors were measured), 300 STS-B dev sentences,
 * calibrated on 128 STS-B train sentences: GPTQ and AWQ beat RTN at the same bits and group size. Embeddings come
 * from the fast encoder path (FastBert, tested against the exact one), which packs the compressed weights.
 */
@Tag("slow")
class EncoderMethodsTest {
    private static final int THREADS = Runtime.getRuntime().availableProcessors();
    private static List<String> eval;
    private static List<String> calib;
    private static float[][] reference;

    @BeforeAll
    static void setUp() {
        Progress.setEnabled(false);
        eval = StsB.read(Fixtures.DATA.resolve("stsb-dev.tsv")).sentences().subList(0, 300);
        calib = CalibrationText.sentences(List.of(Fixtures.DATA.resolve("stsb-train.tsv")), 128, 42);
        try (BertModel m = DefaultModels.allMiniLmL6V2()) {
            reference = FastBert.embed(m, THREADS, eval);
        }
    }

    static Fidelity run(Function<QuantScheme, Compressor> method, QuantScheme s) {
        try (BertModel m = DefaultModels.allMiniLmL6V2()) {
            BertBlocks blocks = new BertBlocks(m, calib);
            List<String> extras = blocks.extraTensors();
            Compressor c = method.apply(s);
            CompressionPlan plan = name -> extras.contains(name) ? List.of() : List.of(c);
            new LayerwiseCompressor(plan).run(blocks);
            Fidelity f = Fidelity.of(reference, FastBert.embed(m, THREADS, eval));
            System.out.printf(Locale.ROOT, "%-8s %-22s mean %.5f p1 %.5f min %.5f top10 %.4f%n", c.name(), s, f.meanCosine(), f.p1Cosine(), f.minCosine(), f.top10Overlap());
            return f;
        }
    }

    @Test
    void rtnMatchesTheOnnxRuntimeAnchors() {
        // ONNX Runtime on fake-quantized weights over every dev sentence; here 300 of them, so a band on the mean
        // cosine only (top-10 overlap among 300 sentences is not comparable with overlap among all of them)
        assertEquals(0.9995, run(s -> new Rtn(s, false), new QuantScheme(8, -1, true)).meanCosine(), 0.001);
        assertEquals(0.972, run(s -> new Rtn(s, false), new QuantScheme(4, 32, false)).meanCosine(), 0.01);
    }

    @Test
    void gptqAndAwqBeatRtnAt4Bits() {
        beatRtn(new QuantScheme(4, 32, false));
    }

    @Test
    void gptqAndAwqBeatRtnAt3Bits() {
        beatRtn(new QuantScheme(3, 32, false));
    }

    private static void beatRtn(QuantScheme s) {
        Fidelity rtn = run(x -> new Rtn(x, false), s);
        Fidelity gptq = run(Gptq::new, s);
        Fidelity awq = run(Awq::new, s);
        assertTrue(gptq.meanCosine() > rtn.meanCosine(), s + " gptq " + gptq + " rtn " + rtn);
        assertTrue(awq.meanCosine() > rtn.meanCosine(), s + " awq " + awq + " rtn " + rtn);
        assertTrue(gptq.top10Overlap() > rtn.top10Overlap(), s + " gptq " + gptq + " rtn " + rtn);
        assertTrue(awq.top10Overlap() > rtn.top10Overlap(), s + " awq " + awq + " rtn " + rtn);
    }
}
