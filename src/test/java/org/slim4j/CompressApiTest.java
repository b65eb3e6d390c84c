package org.slim4j;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.bench.OrtEncoder;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.slim4j.cli.Main;
import org.slim4j.compress.pipeline.CompressOptions;
import org.slim4j.compress.pipeline.CompressionResult;
import org.slim4j.eval.Fidelity;
import org.slim4j.model.Encoder;
import org.slim4j.model.bert.DefaultModels;
import org.slim4j.tokenizer.HfTokenizer;
import org.slim4j.util.BadInputException;

/**
 * Compression through the Java API in one call: all-MiniLM-L6-v2 to W8 by {@link Slim4j#compress} gives the same
 * size and fidelity as {@code slim4j compress} on the command line; the compressed folder converts to an ONNX model
 * that ONNX Runtime runs with the folder's own embeddings.
 */
@Tag("slow")
class CompressApiTest {
    @TempDir static Path dir;
    static CompressionResult api;
    static JsonNode cli;

    @BeforeAll
    static void compressBothWays() throws Exception {
        api = Slim4j.compress("all-minilm-l6-v2", "w8", CompressOptions.to(dir.resolve("api")).samples(64).threads(2));
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"compress", "-m", "all-minilm-l6-v2", "--scheme", "w8", "--samples", "64", "-t", "2",
            "-o", dir.resolve("cli").toString()}, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        cli = new ObjectMapper().readTree(dir.resolve("cli-report.json").toFile());
    }

    @Test
    void oneCallGivesWhatTheCliGives() {
        JsonNode a = api.report();
        assertEquals(dir.resolve("api-report.json"), api.reportJson());
        assertEquals(cli.get("bits_per_weight").asDouble(), a.get("bits_per_weight").asDouble(), 0);
        assertEquals(cli.get("size_bytes").asLong(), a.get("size_bytes").asLong());
        for (String q : List.of("mean_cosine", "min_cosine", "top10_overlap", "spearman_after")) {
            assertEquals(cli.get("quality").get(q).asDouble(), a.get("quality").get(q).asDouble(), 1e-9, q);
        }
        assertTrue(a.get("quality").get("mean_cosine").asDouble() > 0.999, a.toString());
        double linears = a.get("compressed_bits_per_weight").asDouble();
        assertTrue(linears > 8 && linears < 8.1, "int8 per channel plus an fp16 scale per row: " + linears);
        assertTrue(api.bitsPerWeight() > linears, "the fp32 embeddings count too: " + api.bitsPerWeight());
        assertTrue(api.summary().contains("bits per weight"), api.summary());
    }

    @Test
    void compressedFolderConvertsToOnnxThatOnnxRuntimeRuns() {
        Path onnx = dir.resolve("minilm-w8.onnx");
        Slim4j.convert(api.output().toString(), onnx, null, null); // the graph comes from the folder's _name_or_path
        List<String> texts = List.of("A man is playing a guitar.", "The cat sat on the mat.", "Stocks fell sharply on Monday.",
                "quantization keeps most of the accuracy", "A woman is slicing an onion.", "Two dogs run in the snow.",
                "The weather is nice today.", "He plays the piano.", "A child reads a book.", "The train left late.",
                "She cooks dinner.", "A bird sings.");
        float[][] ort, slim;
        try (HfTokenizer tok = HfTokenizer.load(DefaultModels.files("all-minilm-l6-v2")[1]);
             OrtEncoder o = new OrtEncoder(onnx, tok, false, 256, 1);
             // float activations: the exported graph dequantizes its int8 weights and multiplies in float, exactly so
             Encoder folder = Slim4j.loadEncoder(api.output().toString(), org.slim4j.tensor.kernel.EngineOptions.defaults().withCKernels(false))) {
            ort = o.embed(texts);
            slim = folder.embed(texts);
        }
        Fidelity f = Fidelity.of(slim, ort);
        assertTrue(f.minCosine() > 0.9999, "ONNX Runtime on the exported model vs slim4j on the folder: " + f);
        BadInputException e = assertThrows(BadInputException.class, () -> Slim4j.convert(dir.resolve("nothing").toString(), dir.resolve("x.onnx"), null, null));
        assertFalse(e.getMessage().contains("\n"));
    }
}
