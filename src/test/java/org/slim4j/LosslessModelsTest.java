package org.slim4j;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.cli.Main;
import org.slim4j.compress.pipeline.CompressOptions;
import org.slim4j.compress.pipeline.CompressionResult;
import org.slim4j.io.ModelFiles;
import org.slim4j.io.TensorFile;
import org.slim4j.io.lossless.LosslessFile;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.model.CausalLM;
import org.slim4j.model.Encoder;
import org.slim4j.model.Models;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.BertWeights;
import org.slim4j.tensor.Tensor;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.testutil.Fixtures;

/**
 * {@code --scheme lossless} on real models: trained-llama-50m (BF16) in at most 70% of its bytes and
 * all-MiniLM-L6-v2 (fp32, from its ONNX export), every tensor decoding to the source's exact bytes, the same logits and
 * embeddings bit for bit, {@code inspect} showing both sizes, and a corrupt file refused in one line with exit code 2.
 */
@Tag("slow")
class LosslessModelsTest {
    static final Path LLAMA = Fixtures.SHARED.resolve("models/trained-llama-50m");
    @TempDir Path dir;

    @Test
    void trainedLlamaIsStoredInAtMost70PercentAndLoadsBitForBit() throws Exception {
        Path out = dir.resolve("llama");
        CompressionResult r = Slim4j.compress(LLAMA.toString(), "lossless", CompressOptions.to(out).threads(2));
        double ratio = r.report().get("coded_by_type").get("BF16").get("ratio").asDouble();
        System.out.println(r.summary() + "BF16 ratio " + ratio);
        assertTrue(ratio <= 0.70, "BF16 ratio " + ratio);
        assertTrue(r.report().get("bit_identical").asBoolean());
        try (SafetensorsFile src = SafetensorsFile.open(LLAMA); TensorFile coded = ModelFiles.open(out)) {
            assertInstanceOf(LosslessFile.class, coded);
            assertEquals(src.tensors().size(), coded.tensors().size());
            for (Tensor t : src.tensors()) assertEquals(-1, t.data().mismatch(coded.tensor(t.name()).data()), t.name());
        }
        int[] tokens = {1, 510, 3306, 282, 253, 1345, 30, 11, 2342};
        EngineOptions two = EngineOptions.defaults().withThreads(2);
        try (CausalLM a = Slim4j.loadCausalLM(LLAMA.toString(), two); CausalLM b = Slim4j.loadCausalLM(out.toString(), two)) {
            assertArrayEquals(a.logits(tokens), b.logits(tokens));
        }
        StringWriter so = new StringWriter();
        assertEquals(0, Main.run(new String[] {"inspect", out.toString(), "--no-tensors"}, new PrintWriter(so, true), new PrintWriter(new StringWriter(), true)));
        assertTrue(so.toString().contains("lossless      57 tensors coded"), so.toString());
    }

    @Test
    void miniLmFp32FromOnnxDecodesToTheSourceWeightsAndEmbeddings() throws Exception {
        Path out = dir.resolve("minilm");
        StringWriter err = new StringWriter(), so = new StringWriter();
        assertEquals(0, Main.run(new String[] {"compress", "-m", "all-minilm-l6-v2", "--scheme", "lossless", "-t", "2", "-o", out.toString()},
                new PrintWriter(so, true), new PrintWriter(err, true)), err.toString());
        System.out.print(so);
        try (BertModel src = Models.encoder("all-minilm-l6-v2"); BertModel coded = Models.encoder(out.toString())) {
            List<Tensor> a = tensors(src.weights()), b = tensors(coded.weights());
            assertEquals(a.size(), b.size());
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i).shape(), b.get(i).shape());
                assertEquals(-1, a.get(i).data().mismatch(b.get(i).data()), a.get(i).name());
            }
        }
        try (Encoder a = Slim4j.loadEncoder("all-minilm-l6-v2"); Encoder b = Slim4j.loadEncoder(out.toString())) {
            List<String> s = List.of("A sentence.", "Lossless coding keeps every bit.");
            float[][] ea = a.embed(s), eb = b.embed(s);
            for (int i = 0; i < s.size(); i++) assertArrayEquals(ea[i], eb[i]);
        }
    }

    @Test
    void aCorruptCodedFileIsOneLineNamingFileAndTensorWithExitCode2() throws Exception {
        Path out = dir.resolve("bad.safetensors");
        float[] v = new float[5000];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(i) / 50;
        Path good = dir.resolve("good.safetensors");
        org.slim4j.io.lossless.LosslessWriter.write(List.of(new Tensor("w", org.slim4j.tensor.DType.BF16, new long[] {5000},
                org.slim4j.tensor.Floats.encode(v, org.slim4j.tensor.DType.BF16))), java.util.Map.of(), good);
        try (SafetensorsFile f = SafetensorsFile.open(good)) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
            for (Tensor t : f.tensors()) {
                MemorySegment d = t.data();
                if (t.name().equals("w.huff_crc32c")) {
                    d = MemorySegment.ofArray(new byte[(int) d.byteSize()]).copyFrom(d);
                    d.set(ValueLayout.JAVA_BYTE, 0, (byte) (d.get(ValueLayout.JAVA_BYTE, 0) ^ 1));
                }
                w.add(t.name(), t.dtype(), t.shape(), d);
            }
            w.write(out);
        }
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"inspect", out.toString()}, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertEquals(2, code, err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains(out.toString()) && err.toString().contains("tensor 'w'") && err.toString().contains("CRC"), err.toString());
        assertTrue(Files.exists(good));
    }

    private static List<Tensor> tensors(BertWeights w) {
        List<Tensor> all = new ArrayList<>(List.of(w.wordEmb(), w.posEmb(), w.typeEmb(), w.embNormW(), w.embNormB()));
        for (BertWeights.Layer l : w.layers()) {
            all.addAll(List.of(l.q(), l.qb(), l.k(), l.kb(), l.v(), l.vb(), l.attnOut(), l.attnOutB(), l.attnNormW(), l.attnNormB(),
                    l.inter(), l.interB(), l.out(), l.outB(), l.outNormW(), l.outNormB()));
        }
        return all;
    }
}
