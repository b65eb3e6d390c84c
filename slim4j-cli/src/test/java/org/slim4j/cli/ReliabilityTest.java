package org.slim4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.gguf.GgufValueType;
import org.slim4j.io.gguf.GgufWriter;
import org.slim4j.testutil.Fixtures;

/**
 * Issue 16's breaches, each as the user met it on the command line: every one now ends in one line naming the file
 * or flag and the field, with exit code 2, and nothing the user had is lost.
 */
class ReliabilityTest {
    private static final String Q8 = Fixtures.gguf("Q8_0").toString();

    static CliErrorsTest.Run run(String... args) {
        return CliErrorsTest.run(args);
    }

    /** Exit 2, one line, no stack trace, and each of {@code parts} in the message. */
    static void badInput(CliErrorsTest.Run r, String... parts) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        for (String p : parts) assertTrue(r.err().contains(p), "missing '" + p + "' in " + r.err());
    }

    @Test
    void compressIntoTheInputFolderIsRefusedAndTheInputKept(@TempDir Path dir) throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.copy(Fixtures.TINY_LLAMA.resolve("config.json"), model.resolve("config.json"));
        badInput(run("compress", "-m", model.toString(), "--scheme", "w4", "-o", model.toString()), "-o", "input model");
        badInput(run("compress", "-m", model.toString(), "--scheme", "w4", "-o", model.resolve("sub").toString()), "-o");
        assertEquals(List.of(model.resolve("config.json")), Files.list(model).toList());
    }

    @Test
    void convertOverItsInputIsRefused(@TempDir Path dir) throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.copy(Fixtures.TINY_LLAMA.resolve("config.json"), model.resolve("config.json"));
        badInput(run("convert", "-m", model.toString(), "-o", model.resolve("model.safetensors").toString()), "input model");
    }

    @Test
    void flagsOutOfRangeAreRefused() {
        badInput(run("generate", "-m", Q8, "-p", "x", "-t", "100000"), "--threads", "100000");
        badInput(run("generate", "-m", Q8, "-p", "x", "-t", "-1"), "--threads", "-1");
        badInput(run("generate", "-m", Q8, "-p", "x", "--top-k", "-3"), "--top-k");
        badInput(run("generate", "-m", Q8, "-p", "x", "--temp", "NaN"), "--temp", "NaN");
        badInput(run("generate", "-m", Q8, "-p", "x", "--top-p", "NaN"), "--top-p");
        badInput(run("eval", "perplexity", "-m", Q8, "-f", Fixtures.FIXTURES.resolve("prompt.txt").toString(), "--chunks", "0"), "--chunks");
        badInput(run("compress", "-m", Q8, "--scheme", "w4", "-o", "unused", "--eval-chunks", "0"), "--eval-chunks");
        badInput(run("compress", "-m", Q8, "--scheme", "w4", "-o", "unused", "--samples", "2147483647"), "--samples");
        badInput(run("compress", "-m", Q8, "--scheme", "w4", "-o", "unused", "-t", "100000"), "--threads");
    }

    @Test
    void aBinaryTextFileIsNamedWithTheFirstBadByte(@TempDir Path dir) throws IOException {
        Path bin = dir.resolve("text.bin");
        Files.write(bin, new byte[] {'a', 'b', (byte) 0xff, (byte) 0xfe, 0});
        badInput(run("eval", "perplexity", "-m", Q8, "-f", bin.toString()), bin.toString(), "--file", "not UTF-8", "byte 2");
    }

    @Test
    void aPromptLongerThanTheContextIsRefused(@TempDir Path dir) {
        Path small = ggufWith(dir, "llama.context_length", 8);
        badInput(run("generate", "-m", small.toString(), "-p", "one two three four five six seven eight nine ten eleven twelve"),
                "--prompt", "context of 8");
    }

    /** A context length of 2^31 - 1 once let -n size the KV cache without a bound (5 GB RSS, then OutOfMemoryError). */
    @Test
    void aKvCacheLargerThanTheHeapIsRefusedBeforeAllocating(@TempDir Path dir) {
        Path huge = ggufWith(dir, "llama.context_length", Integer.MAX_VALUE);
        badInput(run("generate", "-m", huge.toString(), "-p", "Once", "-n", "2000000000"), "kv cache", "-Xmx");
        badInput(run("generate", "-m", huge.toString(), "-p", "Once", "-n", String.valueOf(Integer.MAX_VALUE)), "kv cache");
    }

    @Test
    void aLyingLayerCountIsRefusedBeforeAllocating(@TempDir Path dir) throws IOException {
        Path model = hfCopy(dir, "\"num_hidden_layers\": 4", "\"num_hidden_layers\": 2147483647");
        badInput(run("generate", "-m", model.toString(), "-p", "x"), "num_hidden_layers", "model.layers.2147483646");
    }

    @Test
    void configValuesAreValidatedByField(@TempDir Path dir) throws IOException {
        badInput(run("generate", "-m", hfCopy(dir.resolve("a"), "\"rope_theta\": 100000.0", "\"rope_theta\": -1").toString(), "-p", "x"), "rope_theta");
        badInput(run("generate", "-m", hfCopy(dir.resolve("b"), "\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": \"abc\"").toString(), "-p", "x"), "rms_norm_eps", "abc");
        badInput(run("generate", "-m", hfCopy(dir.resolve("c"), "\"eos_token_id\": 0", "\"eos_token_id\": \"x\"").toString(), "-p", "x"), "eos_token_id");
    }

    @Test
    void aMissingTokenizerIsNamedWithItsFile(@TempDir Path dir) throws IOException {
        Path model = hfCopy(dir, "\"model_type\"", "\"model_type\"");
        Files.delete(model.resolve("tokenizer.json"));
        badInput(run("generate", "-m", model.toString(), "-p", "x"), model.resolve("tokenizer.json").toString(), "not found");
    }

    @Test
    void anUnwritableOutputIsReportedBeforeAnyWork(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        long t0 = System.nanoTime();
        badInput(run("compress", "-m", "all-minilm-l6-v2", "--scheme", "w8", "-o", file.resolve("out").toString()), "-o", "cannot write in");
        assertTrue((System.nanoTime() - t0) / 1e9 < 20, "reported before calibration");
    }

    @Test
    void recipeTargetsThatMatchNothingAndGroupSizesThatDoNotDivideAreReportedBeforeCalibration(@TempDir Path dir) throws IOException {
        Path none = Files.writeString(dir.resolve("none.yaml"), """
                stages:
                  - modifiers:
                      - {method: rtn, scheme: {bits: 8}, targets: [Linear]}
                      - {method: rtn, scheme: {bits: 4}, targets: ['no\\\\.such\\\\.layer.*']}
                """);
        badInput(run("compress", "-m", "all-minilm-l6-v2", "--recipe", none.toString(), "-o", dir.resolve("o1").toString()),
                none.toString(), "stages[0].modifiers[1].targets", "match no tensor");
        Path group = Files.writeString(dir.resolve("group.yaml"), """
                stages:
                  - modifiers:
                      - {method: rtn, scheme: {bits: 4, group_size: 100}, targets: [Linear]}
                """);
        badInput(run("compress", "-m", "all-minilm-l6-v2", "--recipe", group.toString(), "-o", dir.resolve("o2").toString()),
                group.toString(), "stages[0].modifiers[0].scheme.group_size", "100 does not divide");
        assertFalse(Files.exists(dir.resolve("o1")) || Files.exists(dir.resolve("o2")));
    }

    /** An Error never reached picocli's handler and printed a stack trace; now one line, exit 1, what to do. */
    @Tag("slow")
    @Test
    void outOfMemoryIsOneLineWithWhatToDo(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("t.txt"), Files.readString(Fixtures.DATA.resolve("wikitext-2-raw-test.txt")).substring(0, 6000));
        // 48 MB of heap cannot hold a 512-token chunk's logits over a 49k vocabulary (100 MB)
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx48m",
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "eval", "perplexity", "-m", Q8, "-f", text.toString(), "-c", "512", "--chunks", "1").start();
        String err = new String(p.getErrorStream().readAllBytes()).lines().filter(l -> !l.startsWith("WARNING")).reduce("", (a, b) -> a + b + "\n");
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), err);
        assertEquals(1, err.strip().lines().count(), err);
        assertTrue(err.contains("out of memory") && err.contains("heap is limited to") && err.contains("SLIM4J_HEAP=") && err.contains("-Xmx"), err);
    }

    /** The fixture's Q8_0 GGUF with one uint32 key changed. */
    static Path ggufWith(Path dir, String key, long value) {
        Path out = dir.resolve("m.gguf");
        try (GgufFile f = GgufFile.open(Fixtures.gguf("Q8_0"))) {
            GgufWriter w = new GgufWriter().putAll(f).put(key, GgufValueType.UINT32, value);
            f.tensors().forEach(w::addTensor);
            w.write(out);
        }
        return out;
    }

    /** The tiny Llama folder with its config.json edited (weights linked, not copied). */
    static Path hfCopy(Path dir, String from, String to) throws IOException {
        Path m = Files.createDirectories(dir.resolve("model"));
        String cfg = Files.readString(Fixtures.TINY_LLAMA.resolve("config.json"));
        assertTrue(cfg.contains(from), from);
        Files.writeString(m.resolve("config.json"), cfg.replace(from, to));
        Files.createSymbolicLink(m.resolve("model.safetensors"), Fixtures.TINY_LLAMA.resolve("model.safetensors"));
        Files.copy(Fixtures.TINY_LLAMA.resolve("tokenizer.json"), m.resolve("tokenizer.json"));
        return m;
    }
}
