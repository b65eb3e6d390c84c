package org.slim4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.Slim4j;
import org.slim4j.model.bert.DefaultModels;
import org.slim4j.testutil.Fixtures;
import org.slim4j.util.BadInputException;

/** The commands end to end on the fixtures, and the bad inputs a user is most likely to hit. */
class CliCommandsTest {

    static CliErrorsTest.Run run(String... args) {
        return CliErrorsTest.run(args);
    }

    @Test
    void inspectShowsTypesShapesAndBitsPerWeight() {
        CliErrorsTest.Run r = run("inspect", Fixtures.gguf("Q4_K_M").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("architecture  llama"), r.out());
        assertTrue(r.out().contains("Q4_K") && r.out().contains("Q6_K"), r.out());
        assertTrue(r.out().contains("blk.0.attn_q.weight"), r.out());
        assertTrue(r.out().matches("(?s).*bits/weight\\s+[4-6]\\.\\d+ over all tensors.*"), r.out());
    }

    @Test
    void convertThenPerplexityRunsThroughTheCli(@TempDir Path dir) {
        Path gguf = dir.resolve("tiny-f32.gguf");
        CliErrorsTest.Run c = run("convert", "-m", Fixtures.TINY_LLAMA.toString(), "-o", gguf.toString(), "--type", "f32");
        assertEquals(0, c.code(), c.err());
        CliErrorsTest.Run p = run("eval", "perplexity", "-m", gguf.toString(), "-f", Fixtures.DATA.resolve("wikitext-2-raw-test.txt").toString(),
                "-c", "64", "--chunks", "2", "-t", "2");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().startsWith("Final estimate: PPL = "), p.out());
        CliErrorsTest.Run g = run("generate", "-m", gguf.toString(), "-p", "The quick", "-n", "4", "--ids");
        assertEquals(0, g.code(), g.err());
        assertEquals(4, g.out().trim().split("\\s+").length, g.out());
        CliErrorsTest.Run bad = run("convert", "-m", Fixtures.TINY_LLAMA.toString(), "-o", gguf.toString(), "--type", "q3");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--type"), bad.err());
    }

    /** The KV cache types on generate and bench (its JSON: the cache's bytes against float32's at the same positions). */
    @Test
    @org.junit.jupiter.api.Tag("slow")
    void cacheTypesRunOnGenerateAndBenchAndBadOnesAreOneLine() throws Exception {
        String m = Fixtures.gguf("Q8_0").toString();
        CliErrorsTest.Run g = run("generate", "-m", m, "-p", "The quick", "-n", "4", "--ids", "-ctk", "q4_0", "-ctv", "kivi2", "-t", "2");
        assertEquals(0, g.code(), g.err());
        assertEquals(4, g.out().trim().split("\\s+").length, g.out());
        CliErrorsTest.Run b = run("bench", "-m", m, "-p", "8", "-n", "4", "-d", "40", "-r", "1", "-t", "2", "-ctk", "q8_0", "-ctv", "q8_0", "--json");
        assertEquals(0, b.code(), b.err());
        JsonNode j = new ObjectMapper().readTree(b.out());
        assertEquals(40 + 8 + 1, j.get("cache_positions").asInt());
        assertEquals(34.0 / 128, j.get("kv_cache_ratio").asDouble(), 1e-9);
        assertTrue(j.get("tg_tps").asDouble() > 0 && j.get("pp_tps").asDouble() > 0, b.out());
        CliErrorsTest.Run bad = run("generate", "-m", m, "-p", "x", "-ctk", "q9_0");
        assertEquals(2, bad.code());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("--cache-type-k") && bad.err().contains("q9_0"), bad.err());
        CliErrorsTest.Run exact = run("generate", "-m", m, "-p", "x", "-ctv", "q8_0", "--exact");
        assertEquals(2, exact.code());
        assertTrue(exact.err().contains("--exact"), exact.err());
    }

    @Test
    void embedWritesOneJsonLinePerText() throws Exception {
        CliErrorsTest.Run r = run("embed", "-m", "all-minilm-l6-v2", "A man is playing a guitar.", "A cat sleeps.");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size());
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertEquals("A man is playing a guitar.", first.get("text").asText());
        assertEquals(384, first.get("embedding").size());
    }

    @Test
    void truncatedGgufIsOneLineNamingTheFile(@TempDir Path dir) throws Exception {
        Path cut = dir.resolve("cut.gguf");
        byte[] all = Files.readAllBytes(Fixtures.gguf("Q8_0"));
        Files.write(cut, java.util.Arrays.copyOf(all, all.length / 2));
        CliErrorsTest.Run r = run("inspect", cut.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("cut.gguf"), r.err());
    }

    @Test
    void unknownArchitectureNamesModelType(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt_neox\", \"architectures\": [\"GPTNeoXForCausalLM\"]}");
        CliErrorsTest.Run r = run("eval", "sts", "-m", dir.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("model_type") && r.err().contains("gpt_neox"), r.err());
    }

    @Test
    void tokenizerOfAnotherModelIsRejected(@TempDir Path dir) throws Exception {
        Path onnx = DefaultModels.files("all-minilm-l6-v2")[0];
        Files.createSymbolicLink(dir.resolve("model.onnx"), onnx);
        Files.copy(Fixtures.TINY_LLAMA.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        BadInputException e = assertThrows(BadInputException.class, () -> Slim4j.loadEncoder(dir.resolve("model.onnx").toString()));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("model.type"), e.getMessage());
        Path llama = dir.resolve("llama");
        Files.createDirectories(llama);
        for (String f : new String[] {"config.json", "model.safetensors"}) Files.createSymbolicLink(llama.resolve(f), Fixtures.TINY_LLAMA.resolve(f));
        Files.copy(DefaultModels.files("all-minilm-l6-v2")[1], llama.resolve("tokenizer.json"));
        BadInputException e2 = assertThrows(BadInputException.class, () -> Slim4j.loadCausalLM(llama.toString()));
        assertTrue(e2.getMessage().contains("tokenizer.json") && e2.getMessage().contains("WordPiece"), e2.getMessage());
    }
}
