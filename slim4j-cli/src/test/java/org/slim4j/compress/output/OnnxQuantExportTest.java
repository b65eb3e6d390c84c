package org.slim4j.compress.output;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.model.bert.BertLoader;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.Conventions;
import org.slim4j.model.bert.DefaultModels;
import org.slim4j.bench.OrtEncoder;
import org.slim4j.testutil.HfFolders;
import org.slim4j.tokenizer.HfTokenizer;

/**
 * all-MiniLM-L6-v2's ONNX graph rewritten with quantized weights, run by ONNX Runtime, against slim4j running an HF
 * folder with exactly the same (fake-quantized) weights: the two engines must agree, so the export is faithful.
 */
@Tag("slow")
class OnnxQuantExportTest {
    @TempDir static Path dir;
    static Path src, onnx, tokenizer;
    static final List<String> TEXTS = List.of("A man is playing a guitar.", "The cat sat on the mat.",
            "Stocks fell sharply on Monday after the central bank raised rates.", "quantization keeps most of the accuracy");

    @BeforeAll
    static void setUp() throws Exception {
        src = HfFolders.miniLm(dir.resolve("src"));
        Path[] files = DefaultModels.files("all-minilm-l6-v2");
        onnx = files[0];
        tokenizer = files[1];
    }

    @Test
    void int8QdqRunsInOrtLikeSlim4j() throws Exception {
        Map<String, CompressedLinear> layers = HfFolders.compressAll(src, n -> n.startsWith("encoder."),
                w -> Rtn.quantize(w, new QuantScheme(8, QuantScheme.PER_CHANNEL, true), false, "rtn"));
        check("int8 QDQ", layers, "DequantizeLinear+MatMul");
    }

    @Test
    void int4MatMulNBitsRunsInOrtLikeSlim4j() throws Exception {
        Map<String, CompressedLinear> layers = HfFolders.compressAll(src, n -> n.startsWith("encoder."),
                w -> Rtn.quantize(w, new QuantScheme(4, 32, false), false, "rtn"));
        check("int4 MatMulNBits g32 asym", layers, "MatMulNBits");
    }

    @Test
    void int4SymmetricOmitsZeroPoints() throws Exception {
        Map<String, CompressedLinear> layers = HfFolders.compressAll(src, n -> n.startsWith("encoder.layer.0."),
                w -> Rtn.quantize(w, new QuantScheme(4, 64, true), false, "rtn"));
        check("int4 MatMulNBits g64 sym, layer 0 only", layers, "MatMulNBits");
    }

    /** The -mix scheme's shape: attention value and output projections 8-bit QDQ, the rest 4-bit MatMulNBits. */
    @Test
    void aMixExportsEachLayerByItsBits() throws Exception {
        Map<String, CompressedLinear> layers = HfFolders.compressAll(src, n -> n.startsWith("encoder."), w -> eightBits(w.name())
                ? Rtn.quantize(w, new QuantScheme(8, QuantScheme.PER_CHANNEL, true), false, "rtn")
                : Rtn.quantize(w, new QuantScheme(4, 64, false), false, "rtn"));
        check("mix int8 QDQ and int4 MatMulNBits", layers, name -> eightBits(name) ? "DequantizeLinear+MatMul" : "MatMulNBits");
    }

    private static boolean eightBits(String name) {
        return name.contains("attention.self.value") || name.contains("attention.output.dense");
    }

    private void check(String label, Map<String, CompressedLinear> layers, String op) throws Exception {
        check(label, layers, name -> op);
    }

    private void check(String label, Map<String, CompressedLinear> layers, java.util.function.UnaryOperator<String> opOf) throws Exception {
        Path out = dir.resolve(label.replace(' ', '_') + ".onnx");
        OnnxQuantExport.Result r = OnnxQuantExport.export(onnx, layers, out);
        assertEquals(layers.size(), r.ops().size());
        r.ops().forEach((name, op) -> assertEquals(opOf.apply(name), op, name));
        Path fake = HfFolders.fakeQuant(src, layers, dir.resolve(label.replace(' ', '_') + "-fake"));
        double worst = 1, worstVsFloat = 1;
        try (HfTokenizer tok = HfTokenizer.load(tokenizer);
             OrtEncoder ort = new OrtEncoder(out, tok, false, 256, 1);
             BertModel slim = BertLoader.loadHf(fake, Conventions.ALL_MINILM);
             BertModel dense = DefaultModels.allMiniLmL6V2()) {
            float[][] a = ort.embed(TEXTS), b = slim.embed(TEXTS), c = dense.embed(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                worst = Math.min(worst, cos(a[i], b[i]));
                worstVsFloat = Math.min(worstVsFloat, cos(a[i], c[i]));
            }
        }
        System.out.printf("%s: %d bytes file (source %d), quantized weights %d bytes = %.3f bits/weight; min cosine ORT vs slim4j %.7f, vs float model %.5f%n",
                label, Files.size(out), Files.size(onnx), r.weightBytes(), r.bitsPerWeight(), worst, worstVsFloat);
        assertTrue(worst >= 0.9999, label + ": cosine " + worst);
        assertTrue(Files.size(out) < Files.size(onnx), "the quantized graph is smaller");
    }

    private static double cos(float[] a, float[] b) {
        double d = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            d += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return d / Math.sqrt(na * nb);
    }
}
