package org.slim4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;

/** `slim4j compress` end to end on tiny-llama-rand: a llama.cpp GGUF, a compressed-tensors folder, and bad input. */
@Tag("slow")
class CompressCommandTest {

    static CliErrorsTest.Run run(String... args) {
        return CliErrorsTest.run(args);
    }

    @Test
    void q4KmSchemeWritesLlamaQuantizesTensorsAndAReport(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("tiny-q4_k_m.gguf");
        CliErrorsTest.Run r = run("compress", "-m", Fixtures.TINY_LLAMA.toString(), "--scheme", "q4_k_m", "-o", out.toString(), "--eval-chunks", "1");
        assertEquals(0, r.code(), r.err());
        // the fixture is llama-quantize's Q4_K_M (its default tensor mix) of the same weights
        try (GgufFile mine = GgufFile.open(out); GgufFile cpp = GgufFile.open(Fixtures.gguf("Q4_K_M"))) {
            assertEquals(cpp.tensors().size(), mine.tensors().size());
            for (Tensor t : cpp.tensors()) {
                Tensor m = mine.tensor(t.name());
                assertEquals(t.dtype(), m.dtype(), t.name());
                assertEquals(-1, t.data().mismatch(m.data()), t.name() + " differs from llama-quantize's bytes");
            }
            assertEquals(15, mine.integer("general.file_type"));
        }
        JsonNode report = new ObjectMapper().readTree(dir.resolve("tiny-q4_k_m.gguf-report.json").toFile());
        assertEquals(0, report.get("fallbacks").size());
        assertEquals("Q4_K", report.get("tensor_types").get("blk.0.attn_v.weight").asText());
        assertEquals("Q6_K", report.get("tensor_types").get("blk.3.attn_v.weight").asText(), "llama.cpp's use_more_bits: the last eighth of 4 layers");
        assertTrue(report.get("quality").get("mean_kld").asDouble() > 0, report.toString());
        assertTrue(report.get("matrix_bits_per_weight").asDouble() > 4.5, "Q4_K is 4.5 bits, Q6_K 6.5625");
    }

    /** --eval-chunks 0: no engine holds the model (one larger than memory compresses); the same bytes, no KLD and no chart. */
    @Test
    void noEvaluationWritesTheSameFile(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("tiny.gguf");
        CliErrorsTest.Run r = run("compress", "-m", Fixtures.TINY_LLAMA.toString(), "--scheme", "q4_k_m", "-o", out.toString(), "--eval-chunks", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("no KL evaluation"), r.out());
        try (GgufFile mine = GgufFile.open(out); GgufFile cpp = GgufFile.open(Fixtures.gguf("Q4_K_M"))) {
            for (Tensor t : cpp.tensors()) assertEquals(-1, t.data().mismatch(mine.tensor(t.name()).data()), t.name());
        }
        assertFalse(new ObjectMapper().readTree(dir.resolve("tiny.gguf-report.json").toFile()).has("quality"));
        assertFalse(java.nio.file.Files.exists(dir.resolve("tiny.gguf-size-kld.png")));
        assertEquals(2, run("compress", "-m", Fixtures.TINY_LLAMA.toString(), "--scheme", "w4g64", "-o", dir.resolve("x").toString(), "--eval-chunks", "0").code());
    }

    @Test
    void imatrixQuantizationWritesItsProvenance(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("q4_k_m-imatrix.gguf");
        CliErrorsTest.Run r = run("compress", "-m", Fixtures.TINY_LLAMA.toString(), "--scheme", "q4_k_m", "--imatrix", "--samples", "2", "--seq-len", "32",
                "-o", out.toString(), "--eval-chunks", "1");
        assertEquals(0, r.code(), r.err());
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(28, g.integer("quantize.imatrix.entries_count"), "7 matrices x 4 layers");
            assertEquals(2, g.integer("quantize.imatrix.chunks_count"));
        }
    }

    @Test
    void wSchemeWritesAFolderThatLoads(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("tiny-w4");
        CliErrorsTest.Run r = run("compress", "-m", Fixtures.TINY_LLAMA.toString(), "--scheme", "w4g32-gptq", "--samples", "4", "--seq-len", "64",
                "-o", out.toString(), "--eval-chunks", "1");
        assertEquals(0, r.code(), r.err());
        JsonNode report = new ObjectMapper().readTree(dir.resolve("tiny-w4-report.json").toFile());
        assertEquals(28, report.get("layers").size());
        assertEquals(4.5, report.get("compressed_bits_per_weight").asDouble(), 1e-9, "4 bits + an fp16 scale per 32");
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
        r = run("eval", "perplexity", "-m", out.toString(), "-f", Fixtures.DATA.resolve("wikitext-2-raw-test.txt").toString(), "-c", "64", "--chunks", "1");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void badRecipeAndCalibrationAreOneLineErrors(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("bad.yaml");
        Files.writeString(yaml, "stages:\n  - modifiers:\n      - method: gptq\n        scheme: {bits: 11}\n");
        CliErrorsTest.Run r = run("compress", "-m", Fixtures.TINY_LLAMA.toString(), "--recipe", yaml.toString(), "-o", dir.resolve("o").toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("bad.yaml"), r.err());

        Files.writeString(yaml, "stages:\n  - modifiers:\n      - method: wanda\n        options: {sparsty: 0.5}\n");
        r = run("compress", "-m", Fixtures.TINY_LLAMA.toString(), "--recipe", yaml.toString(), "-o", dir.resolve("o").toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("stages[0].modifiers[0].options.sparsty"), "a pruner's unknown option is named: " + r.err());

        r = run("compress", "-m", Fixtures.TINY_LLAMA.toString(), "--scheme", "w4g32", "-o", Fixtures.TINY_LLAMA.resolve("out").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("-o"), "an output inside the input model is refused: " + r.err());

        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "");
        r = run("compress", "-m", Fixtures.TINY_LLAMA.toString(), "--scheme", "w4g32-gptq", "--calib", empty.toString(), "-o", dir.resolve("o").toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("empty.txt"), r.err());
        assertFalse(Files.exists(dir.resolve("o")), "no output after a failure");

        r = run("compress", "-m", Fixtures.TINY_LLAMA.toString(), "--scheme", "w9", "-o", dir.resolve("o").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("w9"), r.err());
    }
}
