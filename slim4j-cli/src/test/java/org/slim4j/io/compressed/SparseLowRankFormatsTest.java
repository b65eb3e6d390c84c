package org.slim4j.io.compressed;

import org.slim4j.compress.output.CompressedTensorsWriter;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.lowrank.Spectrum;
import org.slim4j.compress.prune.Magnitude;
import org.slim4j.compress.prune.SparseLinear;
import org.slim4j.compress.prune.SparseQuantizedLinear;
import org.slim4j.compress.prune.SparsityPattern;
import org.slim4j.tensor.quant.QuantScheme;
import org.slim4j.compress.quant.Rtn;
import org.slim4j.io.TensorFile;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.model.bert.BertLoader;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.Conventions;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.kernel.FactorPair;
import org.slim4j.tensor.kernel.NativeLinears;
import org.slim4j.tensor.kernel.Sparse24Matrix;
import org.slim4j.testutil.HfFolders;

/**
 * all-MiniLM-L6-v2 pruned 2:4 / unstructured and factorised, written as compressed-tensors sparse-24-bitmask,
 * sparse-bitmask and the slim4j "lowrank" extension, read back, and run with the native kernels against the same
 * weights multiplied out (the exact float path).
 */
@Tag("slow")
class SparseLowRankFormatsTest {
    @TempDir static Path dir;
    static Path src;
    static final List<String> TEXTS = List.of("A man is playing a guitar.", "The cat sat on the mat.", "Stocks fell sharply on Monday.");

    @BeforeAll
    static void setUp() throws Exception {
        src = HfFolders.miniLm(dir.resolve("src"));
    }

    @Test
    void bitmaskBitOrderIsNumpyPackbitsLittle() {
        // np.packbits(m, axis=-1, bitorder="little"): within each row, column c is bit c % 8 of byte c / 8
        boolean[] m = new boolean[2 * 10];
        for (int c : new int[] {0, 3, 9}) m[c] = true;      // row 0: bits 0, 3 of byte 0 (= 9); bit 1 of byte 1 (= 2)
        for (int c : new int[] {7, 8}) m[10 + c] = true;     // row 1: bit 7 of byte 0 (= 128); bit 0 of byte 1 (= 1)
        assertArrayEquals(new byte[] {9, 2, (byte) 128, 1}, SparseBitmask.packBits(m, 2, 10));
        assertArrayEquals(m, SparseBitmask.unpackBits(new byte[] {9, 2, (byte) 128, 1}, 2, 10));
    }

    @Test
    void twoFourLayersBecomeSparse24BitmaskAndRunTheirKernel() throws Exception {
        Map<String, CompressedLinear> layers = HfFolders.compressAll(src, n -> n.startsWith("encoder."),
                w -> new Magnitude(SparsityPattern.nm(2, 4)).compress(w, null));
        Path out = dir.resolve("ct-24");
        var r = new CompressedTensorsWriter(DType.F16).write(src, layers, out);
        assertEquals("sparse-24-bitmask", r.formats().get("encoder.layer.0.intermediate.dense"));
        JsonNode qc = new ObjectMapper().readTree(out.resolve("config.json").toFile()).get("quantization_config");
        JsonNode sc = qc.get("sparsity_config");
        assertEquals("sparse-24-bitmask", sc.get("format").asText());
        assertEquals("2:4", sc.get("sparsity_structure").asText());
        assertEquals(36, sc.get("targets").size());
        // llm-compressor's global_sparsity: percent of all model parameters that are zero
        long zeros = 0, params = 0;
        for (CompressedLinear c : layers.values()) for (float v : c.effectiveWeight()) if (v == 0) zeros++;
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            for (var t : f.tensors()) params += t.elements();
        }
        assertEquals(100.0 * zeros / params, sc.get("global_sparsity").asDouble(), 1e-9);
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            String m = "encoder.layer.0.intermediate.dense";
            assertTrue(f.find(m + ".weight").isEmpty());
            assertEquals(DType.I64, f.tensor(m + ".shape").dtype());
            assertArrayEquals(new long[] {2, 1}, f.tensor(m + ".shape").shape());
            assertArrayEquals(new long[] {1536, 384}, f.tensor(m + ".shape").data().toArray(ValueLayout.JAVA_LONG));
            assertEquals(DType.F16, f.tensor(m + ".compressed").dtype());
            assertArrayEquals(new long[] {1536, 192}, f.tensor(m + ".compressed").shape());
            assertEquals(DType.U8, f.tensor(m + ".bitmask").dtype());
            assertArrayEquals(new long[] {1536, 48}, f.tensor(m + ".bitmask").shape());
            SparseLinear s = (SparseLinear) layers.get(m + ".weight");
            int want = 0;
            for (int c = 0; c < 8; c++) if (s.keep()[c]) want |= 1 << c;
            assertEquals((byte) want, f.tensor(m + ".bitmask").data().get(ValueLayout.JAVA_BYTE, 0));
            // first stored values: row 0's kept weights in column order
            assertEquals(s.values()[0], Dequant.toFloats(f.tensor(m + ".compressed"))[0]);
            assertEquals(s.values()[1], Dequant.toFloats(f.tensor(m + ".compressed"))[1]);
        }
        try (TensorFile f = CompressedTensorsFile.openFolder(out)) {
            for (var e : layers.entrySet()) assertArrayEquals(e.getValue().effectiveWeight(), Dequant.toFloats(f.tensor(e.getKey())), e.getKey());
            CompressedTensorsFile ct = (CompressedTensorsFile) f;
            assertEquals(36, ct.kernels().size());
            assertTrue(ct.kernels().values().stream().allMatch(k -> k instanceof Sparse24Matrix));
            assertNotNull(NativeLinears.find(f.tensor("encoder.layer.3.output.dense.weight")));
        }
        compareWithDense(out, layers, "2:4");
    }

    @Test
    void unstructuredAndLowRankLayersTravelAsBitmaskAndFactorPairs() throws Exception {
        Map<String, CompressedLinear> layers = HfFolders.compressAll(src, n -> n.startsWith("encoder."), w -> {
            if (w.name().contains(".value.")) return Spectrum.of(w.w(), w.rows(), w.cols()).truncate(48, "svd");
            if (w.name().contains(".key.")) return new Magnitude(SparsityPattern.nm(2, 4)).compress(w, null);
            return new Magnitude(SparsityPattern.unstructured(0.6)).compress(w, null);
        });
        Path out = dir.resolve("ct-mixed");
        var r = new CompressedTensorsWriter(DType.F16).write(src, layers, out);
        assertEquals("sparse-bitmask", r.formats().get("encoder.layer.0.attention.self.key"), "one sparsity format per model: the general one");
        assertEquals("lowrank", r.formats().get("encoder.layer.0.attention.self.value"));
        JsonNode qc = new ObjectMapper().readTree(out.resolve("config.json").toFile()).get("quantization_config");
        assertEquals("unstructured", qc.get("sparsity_config").get("sparsity_structure").asText());
        assertEquals(48, qc.get("slim4j").get("layers").get("encoder.layer.0.attention.self.value").get("rank").asInt());
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            String m = "encoder.layer.1.output.dense";
            SparseLinear s = (SparseLinear) layers.get(m + ".weight");
            long nnz = 0;
            for (float v : s.effectiveWeight()) if (v != 0) nnz++;
            assertArrayEquals(new long[] {nnz}, f.tensor(m + ".compressed").shape());
            assertArrayEquals(new long[] {2}, f.tensor(m + ".shape").shape());
            long[] off = f.tensor(m + ".row_offsets").data().toArray(ValueLayout.JAVA_LONG);
            assertEquals(384, off.length);
            long row0 = 0;
            for (int c = 0; c < 1536; c++) if (s.effectiveWeight()[c] != 0) row0++;
            assertEquals(0, off[0]);
            assertEquals(row0, off[1]);
            String v = "encoder.layer.0.attention.self.value";
            assertArrayEquals(new long[] {384, 48}, f.tensor(v + ".weight_a").shape());
            assertArrayEquals(new long[] {48, 384}, f.tensor(v + ".weight_b").shape());
            assertTrue(f.find(v + ".weight").isEmpty());
        }
        try (CompressedTensorsFile f = (CompressedTensorsFile) CompressedTensorsFile.openFolder(out)) {
            for (var e : layers.entrySet()) assertArrayEquals(e.getValue().effectiveWeight(), Dequant.toFloats(f.tensor(e.getKey())), e.getKey());
            assertInstanceOf(FactorPair.class, NativeLinears.find(f.tensor("encoder.layer.2.attention.self.value.weight")));
            assertInstanceOf(Sparse24Matrix.class, NativeLinears.find(f.tensor("encoder.layer.2.attention.self.key.weight")), "a 2:4 mask in sparse-bitmask still runs 2:4");
            assertNull(NativeLinears.find(f.tensor("encoder.layer.2.attention.self.query.weight")), "60% unstructured runs dense");
        }
        java.io.StringWriter o = new java.io.StringWriter(), err = new java.io.StringWriter();
        assertEquals(0, org.slim4j.cli.Main.run(new String[] {"inspect", "--no-tensors", out.toString()}, new java.io.PrintWriter(o, true), new java.io.PrintWriter(err, true)), err.toString());
        // rank 48 of 384 x 384 in fp16: (384 + 384) * 48 * 2 bytes = 73,728, 4 bits per weight
        assertTrue(o.toString().matches("(?s).*encoder\\.layer\\.0\\.attention\\.self\\.value\\s+lowrank\\s+rank 48\\s+147,456\\s+73,728\\s+4\\.000.*"), o.toString());
        // 2:4 mask in sparse-bitmask: nnz fp16 values + 1 bit per weight + 8-byte row offsets
        assertTrue(o.toString().matches("(?s).*encoder\\.layer\\.0\\.attention\\.self\\.key\\s+sparse-bitmask\\s+2:4\\s+147,456\\s.*"), o.toString());
        compareWithDense(out, layers, "mixed");
    }

    @Test
    void prunedThenQuantizedIsPackQuantizedWithZerosAtPrunedEntries() throws Exception {
        QuantScheme s = new QuantScheme(4, 32, false);
        Map<String, CompressedLinear> layers = HfFolders.compressAll(src, n -> n.startsWith("encoder.layer.0."), w -> {
            SparseLinear sp = (SparseLinear) new Magnitude(SparsityPattern.nm(2, 4)).compress(w, null);
            return new SparseQuantizedLinear(sp, Rtn.quantize(w.withValues(sp.effectiveWeight()), s, false, "rtn"));
        });
        Path out = dir.resolve("ct-sq");
        var r = new CompressedTensorsWriter(DType.F32).write(src, layers, out);
        assertEquals("pack-quantized", r.formats().get("encoder.layer.0.intermediate.dense"));
        try (TensorFile f = CompressedTensorsFile.openFolder(out)) {
            for (var e : layers.entrySet()) {
                assertArrayEquals(e.getValue().effectiveWeight(), Dequant.toFloats(f.tensor(e.getKey())), e.getKey());
                assertInstanceOf(Sparse24Matrix.class, NativeLinears.find(f.tensor(e.getKey())), "2:4 zeros in packed codes still run 2:4: " + e.getKey());
            }
            assertNull(NativeLinears.find(f.tensor("encoder.layer.1.intermediate.dense.weight")), "a dense layer is not taken for 2:4");
        }
        compareWithDense(out, layers, "2:4 int4");
    }

    /** Native kernels vs the same folder's weights through the dense kernels: only summation order differs. */
    private static void compareWithDense(Path out, Map<String, CompressedLinear> layers, String what) throws Exception {
        float[][] dense, nat;
        try (BertModel a = BertLoader.loadHf(out, Conventions.ALL_MINILM)) {
            nat = a.embed(TEXTS);
            NativeLinears.setEnabled(false);
            try {
                dense = a.embed(TEXTS);
            } finally {
                NativeLinears.setEnabled(true);
            }
        }
        Path fake = HfFolders.fakeQuant(src, layers, dir.resolve("fake-" + what));
        float[][] fk;
        try (BertModel b = BertLoader.loadHf(fake, Conventions.ALL_MINILM)) {
            fk = b.embed(TEXTS);
        }
        for (int i = 0; i < TEXTS.size(); i++) {
            assertArrayEquals(fk[i], dense[i], 1e-6f, what + " dense path " + TEXTS.get(i));
            assertArrayEquals(dense[i], nat[i], 2e-5f, what + " native kernels " + TEXTS.get(i));
        }
    }
}
