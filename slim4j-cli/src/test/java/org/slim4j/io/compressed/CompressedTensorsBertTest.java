package org.slim4j.io.compressed;

import org.slim4j.compress.output.CompressedTensorsWriter;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.cli.Main;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.QuantizedLinear;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.compress.quant.LutLinear;
import org.slim4j.compress.quant.SqueezeLlm;
import org.slim4j.io.TensorFile;
import org.slim4j.model.bert.BertLoader;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.Conventions;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.testutil.HfFolders;

/**
 * all-MiniLM-L6-v2 written as compressed-tensors pack-quantized (a mix of int8 per-channel symmetric and int4 g32
 * asymmetric, so both config groups and packed zero points occur), loaded back through BertLoader.loadHf.
 */
@Tag("slow")
class CompressedTensorsBertTest {
    @TempDir static Path dir;
    static Path src;
    static Map<String, CompressedLinear> layers;
    static final List<String> TEXTS = List.of("A man is playing a guitar.", "The cat sat on the mat.", "Stocks fell sharply on Monday.");

    @BeforeAll
    static void setUp() throws Exception {
        src = HfFolders.miniLm(dir.resolve("src"));
        layers = HfFolders.compressAll(src, n -> n.startsWith("encoder."), w -> w.name().contains("query")
                ? Rtn.quantize(w, new QuantScheme(8, QuantScheme.PER_CHANNEL, true), false, "rtn")
                : Rtn.quantize(w, new QuantScheme(4, 32, false), false, "rtn"));
    }

    @Test
    void f32ScalesDecodeToExactlyTheFakeQuantizedWeights() throws Exception {
        Path out = dir.resolve("ct-f32");
        new CompressedTensorsWriter(DType.F32).write(src, layers, out);
        try (TensorFile f = CompressedTensorsFile.openFolder(out)) {
            assertInstanceOf(CompressedTensorsFile.class, f);
            for (var e : layers.entrySet()) {
                assertArrayEquals(e.getValue().effectiveWeight(), Dequant.toFloats(f.tensor(e.getKey())), e.getKey());
            }
            assertTrue(f.find("encoder.layer.0.attention.self.key.weight_packed").isEmpty(), "packed parts are hidden");
        }
        Path fake = HfFolders.fakeQuant(src, layers, dir.resolve("fake-f32"));
        try (BertModel a = BertLoader.loadHf(out, Conventions.ALL_MINILM); BertModel b = BertLoader.loadHf(fake, Conventions.ALL_MINILM)) {
            float[][] x = a.embed(TEXTS), y = b.embed(TEXTS);
            // same weights bit for bit; only the kernel's summation order may differ (mapped vs arena memory)
            for (int i = 0; i < x.length; i++) assertArrayEquals(y[i], x[i], 1e-6f, TEXTS.get(i));
        }
    }

    @Test
    void f16ScalesKeepEmbeddingsWithinRounding() throws Exception {
        Path out = dir.resolve("ct-f16");
        var r = new CompressedTensorsWriter(DType.F16).write(src, layers, out);
        assertEquals(CompressedTensorsConfig.PACK_QUANTIZED, r.formats().get("encoder.layer.0.attention.self.query"));
        Path fake = HfFolders.fakeQuant(src, layers, dir.resolve("fake-f16"));
        double maxDelta = 0;
        try (BertModel a = BertLoader.loadHf(out, Conventions.ALL_MINILM); BertModel b = BertLoader.loadHf(fake, Conventions.ALL_MINILM)) {
            float[][] x = a.embed(TEXTS), y = b.embed(TEXTS);
            for (int i = 0; i < x.length; i++) for (int j = 0; j < x[i].length; j++) maxDelta = Math.max(maxDelta, Math.abs(x[i][j] - y[i][j]));
        }
        System.out.println("F16 scales: max |delta| embedding vs fake-quant = " + maxDelta);
        assertTrue(maxDelta < 2e-3, "max |delta| " + maxDelta);
    }

    @Test
    void configAndTensorsFollowCompressedTensors() throws Exception {
        Path out = dir.resolve("ct-layout");
        new CompressedTensorsWriter(DType.F16).write(src, layers, out);
        JsonNode qc = new ObjectMapper().readTree(out.resolve("config.json").toFile()).get("quantization_config");
        assertEquals("compressed-tensors", qc.get("quant_method").asText());
        assertEquals("pack-quantized", qc.get("format").asText());
        assertEquals(2, qc.get("config_groups").size());
        JsonNode g0 = qc.get("config_groups").get("group_0");
        assertEquals("channel", g0.get("weights").get("strategy").asText());
        assertEquals(8, g0.get("weights").get("num_bits").asInt());
        JsonNode g1 = qc.get("config_groups").get("group_1").get("weights");
        assertEquals("group", g1.get("strategy").asText());
        assertEquals(32, g1.get("group_size").asInt());
        assertFalse(g1.get("symmetric").asBoolean());
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        try (var f = org.slim4j.io.safetensors.SafetensorsFile.open(out)) {
            var packed = f.tensor("encoder.layer.0.intermediate.dense.weight_packed");
            assertEquals(DType.I32, packed.dtype());
            assertArrayEquals(new long[] {1536, 384 / 8}, packed.shape());
            assertArrayEquals(new long[] {1536, 384 / 32}, f.tensor("encoder.layer.0.intermediate.dense.weight_scale").shape());
            assertArrayEquals(new long[] {1536 / 8, 384 / 32}, f.tensor("encoder.layer.0.intermediate.dense.weight_zero_point").shape());
            assertArrayEquals(new long[] {384, 384 / 4}, f.tensor("encoder.layer.0.attention.self.query.weight_packed").shape());
            assertArrayEquals(new long[] {384, 1}, f.tensor("encoder.layer.0.attention.self.query.weight_scale").shape());
            assertTrue(f.find("encoder.layer.0.attention.self.query.weight_zero_point").isEmpty(), "symmetric: no zero point");
            // the first packed int is the first 8 codes of row 0, offset to unsigned, first code lowest
            QuantizedLinear q = (QuantizedLinear) layers.get("encoder.layer.0.intermediate.dense.weight");
            int want = 0;
            for (int i = 0; i < 8; i++) want |= (q.codes()[i] + 8) << (4 * i);
            assertEquals(want, packed.data().getAtIndex(Dequant.I32, 0));
            assertTrue(f.find("encoder.layer.0.intermediate.dense.weight").isEmpty());
            assertEquals(DType.F32, f.tensor("embeddings.word_embeddings.weight").dtype(), "untargeted tensors stay as they were");
        }
    }

    @Test
    void inspectShowsThePackedBytes() throws Exception {
        Path out = dir.resolve("ct-inspect");
        new CompressedTensorsWriter(DType.F16).write(src, layers, out);
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.run(new String[] {"inspect", out.toString()}, new PrintWriter(o, true), new PrintWriter(e, true));
        assertEquals(0, code, e.toString());
        String s = o.toString();
        assertTrue(s.matches("(?s).*encoder\\.layer\\.0\\.intermediate\\.dense\\.weight_packed\\s+I32\\s+\\[1536, 48\\]\\s+294,912.*"), s);
        assertTrue(s.contains("weight_zero_point"), s);
    }

    @Test
    void lutAndDenseLayersTravelInTheSlim4jExtension() throws Exception {
        // value layers as SqueezeLLM 3-bit LUTs with outliers, key layers as an opaque (say pruned) form, the rest int4
        Map<String, CompressedLinear> mixed = HfFolders.compressAll(src, n -> n.startsWith("encoder."), w -> {
            if (w.name().contains(".value.")) return new SqueezeLlm(3, 0.005).compress(w, null);
            if (w.name().contains(".key.")) return new Opaque(w);
            return Rtn.quantize(w, new QuantScheme(4, 32, true), false, "rtn");
        });
        Path out = dir.resolve("ct-lut");
        var r = new CompressedTensorsWriter(DType.F32).write(src, mixed, out);
        assertEquals("lut", r.formats().get("encoder.layer.2.attention.self.value"));
        assertEquals("dense", r.formats().get("encoder.layer.2.attention.self.key"));
        JsonNode qc = new ObjectMapper().readTree(out.resolve("config.json").toFile()).get("quantization_config");
        JsonNode v = qc.get("slim4j").get("layers").get("encoder.layer.2.attention.self.value");
        assertEquals(3, v.get("bits").asInt());
        assertTrue(v.get("outliers").asInt() > 0);
        assertTrue(qc.get("ignore").toString().contains("encoder.layer.2.attention.self.value"), "compressed-tensors tooling must skip extension layers");
        try (TensorFile f = CompressedTensorsFile.openFolder(out)) {
            for (var e : mixed.entrySet()) assertArrayEquals(e.getValue().effectiveWeight(), Dequant.toFloats(f.tensor(e.getKey())), e.getKey());
            assertTrue(f.tensors().stream().noneMatch(t -> t.name().contains("weight_lut") || t.name().contains("weight_outlier")));
        }
        try (var f = org.slim4j.io.safetensors.SafetensorsFile.open(out)) {
            LutLinear l = (LutLinear) mixed.get("encoder.layer.0.attention.self.value.weight");
            // 3 bits: 10 codes per int32, the last 2 bits unused; 384 columns -> 39 ints per row
            assertArrayEquals(new long[] {384, 39}, f.tensor("encoder.layer.0.attention.self.value.weight_lut_codes").shape());
            int want = 0;
            for (int i = 0; i < 10; i++) want |= (l.codes()[i] & 0xff) << (3 * i);
            assertEquals(want, f.tensor("encoder.layer.0.attention.self.value.weight_lut_codes").data().getAtIndex(Dequant.I32, 0));
        }
        Path fake = HfFolders.fakeQuant(src, mixed, dir.resolve("fake-lut"));
        try (BertModel a = BertLoader.loadHf(out, Conventions.ALL_MINILM); BertModel b = BertLoader.loadHf(fake, Conventions.ALL_MINILM)) {
            float[][] x = a.embed(TEXTS), y = b.embed(TEXTS);
            for (int i = 0; i < x.length; i++) assertArrayEquals(y[i], x[i], 1e-6f, TEXTS.get(i));
        }
    }

    /** A compressed form compressed-tensors has no name for. */
    private record Opaque(org.slim4j.compress.LinearWeight w) implements CompressedLinear {
        public float[] effectiveWeight() {
            float[] v = w.w().clone();
            for (int i = 0; i < v.length; i += 2) v[i] = 0;
            return v;
        }
        public int rows() { return w.rows(); }
        public int cols() { return w.cols(); }
        public long storageBits() { return (long) rows() * cols() * 16; }
        public String describe() { return "50% structured (test)"; }
    }
}
