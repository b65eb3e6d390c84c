package org.slim4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.convert.HfToGguf;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.gguf.Imatrix;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;

/** compress into GGUF with GPTQ, budgets and type rules on tiny-llama-rand; the bad input of each refused before any work. */
class GgufBudgetCliTest {
    @TempDir
    static Path tmp;
    static Path f32;

    @BeforeAll
    static void convert() {
        f32 = tmp.resolve("tiny-f32.gguf");
        HfToGguf.convert(Fixtures.TINY_LLAMA, f32, DType.F32);
    }

    private static void refused(CliErrorsTest.Run r, Path out, String... parts) {
        ReliabilityTest.badInput(r, parts);
        assertFalse(Files.exists(out), "nothing written after a refusal");
    }

    @Test
    void unknownTypeInATensorTypeRule() {
        Path out = tmp.resolve("rule.gguf");
        refused(CliErrorsTest.run("compress", "-m", f32.toString(), "--scheme", "q4_k_m", "--tensor-type", "attn_v=q9_k", "-o", out.toString()),
                out, "--tensor-type", "q9_k");
    }

    @Test
    void budgetBelowTheSmallestFile() {
        Path out = tmp.resolve("small.gguf");
        refused(CliErrorsTest.run("compress", "-m", f32.toString(), "--target-size", "100000", "-o", out.toString()),
                out, "--target-size", "below the smallest");
        refused(CliErrorsTest.run("compress", "-m", f32.toString(), "--target-bpw", "1.5", "-o", out.toString()), out, "--target-bpw", "below the smallest");
    }

    @Test
    void badSearchAndChartOptions() throws Exception {
        Path out = tmp.resolve("search.gguf");
        refused(CliErrorsTest.run("compress", "-m", f32.toString(), "--target-size", "9000000", "--search-generations", "-1", "-o", out.toString()),
                out, "--search-generations", "-1");
        refused(CliErrorsTest.run("compress", "-m", f32.toString(), "--scheme", "q4_k_m", "--search-generations", "3", "-o", out.toString()),
                out, "--search-generations", "--target-size");
        Path csv = tmp.resolve("ref.csv");
        Files.writeString(csv, "Q4_K_M,37553760,much\n");
        refused(CliErrorsTest.run("compress", "-m", f32.toString(), "--scheme", "q4_k_m", "--reference-points", csv.toString(), "-o", out.toString()),
                out, "ref.csv", "line 1");
    }

    @Test
    @Tag("slow")
    void searchKeepsTheBudgetAndTheReportCharts() throws Exception {
        Path out = tmp.resolve("s.gguf");
        long target = 9_000_000;
        CliErrorsTest.Run r = CliErrorsTest.run("compress", "-m", f32.toString(), "--target-size", Long.toString(target), "--search-generations", "2",
                "--search-offspring", "3", "--samples", "3", "--seq-len", "32", "--eval-chunks", "1", "--ctx", "64",
                "--reference-points", SizeKldChartTest.LLAMA_CPP.toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(out) <= target, Files.size(out) + " bytes");
        JsonNode report = new ObjectMapper().readTree(tmp.resolve("s.gguf-report.json").toFile());
        JsonNode search = report.get("search");
        assertEquals(2, search.get("per_generation").size());
        assertTrue(search.get("kld").asDouble() <= search.get("start_kld").asDouble());
        Path png = tmp.resolve("s.gguf-size-kld.png");
        assertEquals(png.getFileName().toString(), report.get("chart").asText());
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertNotNull(img);
        String md = Files.readString(tmp.resolve("s.gguf-report.md"));
        assertTrue(md.contains("## Evolutionary search") && md.contains("](s.gguf-size-kld.png)") && md.contains("Q2_K+imatrix"), md);
    }

    @Test
    void imatrixOfAnotherModel() throws Exception {
        Path im = tmp.resolve("other.imatrix.gguf");
        Imatrix other = new Imatrix("other", "text");
        other.add("blk.0.attn_q.weight", new float[100], 1, 100); // this model's attn_q reads 256 columns
        other.setChunks(1, 1);
        other.write(im);
        Path out = tmp.resolve("im.gguf");
        refused(CliErrorsTest.run("compress", "-m", f32.toString(), "--scheme", "q4_k_m", "--imatrix-file", im.toString(), "--eval-chunks", "1", "-o", out.toString()),
                out, "other.imatrix.gguf", "blk.0.attn_q.weight", "another model");
    }

    @Test
    @Tag("slow")
    void budgetWithGptqWritesAMixedFileWithinTheBudget() throws Exception {
        Path out = tmp.resolve("b.gguf");
        long target = 9_000_000;
        CliErrorsTest.Run r = CliErrorsTest.run("compress", "-m", f32.toString(), "--target-size", Long.toString(target), "--gptq", "--tensor-type", "attn_k=q8_0",
                "--samples", "3", "--seq-len", "32", "--eval-chunks", "1", "--ctx", "64", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(out) <= target, Files.size(out) + " bytes");
        Set<DType> types = new HashSet<>();
        try (GgufFile g = GgufFile.open(out)) {
            for (Tensor t : g.tensors()) {
                if (t.name().contains("attn_k")) assertEquals(DType.Q8_0, t.dtype(), "the rule wins over the budget");
                if (t.shape().length == 2) types.add(t.dtype());
            }
            assertTrue(g.string("quantize.gptq.method").contains("gptq"));
        }
        assertTrue(types.size() >= 3, "a budget mixes types: " + types);
        JsonNode report = new ObjectMapper().readTree(tmp.resolve("b.gguf-report.json").toFile());
        assertEquals(target, report.get("target_bytes").asLong());
        assertTrue(report.get("predicted_kld").asDouble() > 0);
        // inspect names each tensor's type
        CliErrorsTest.Run i = CliErrorsTest.run("inspect", out.toString());
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("Q8_0") && i.out().contains("blk.0.attn_k.weight"), i.out());
    }
}
