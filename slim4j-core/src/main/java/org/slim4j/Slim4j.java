package org.slim4j;

import org.slim4j.util.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.slim4j.compress.output.OnnxQuantExport;
import org.slim4j.compress.pipeline.CompressOptions;
import org.slim4j.compress.pipeline.Compression;
import org.slim4j.compress.pipeline.CompressionResult;
import org.slim4j.compress.pipeline.Shrink;
import org.slim4j.compress.pipeline.ShrinkOptions;
import org.slim4j.compress.recipe.Recipe;
import org.slim4j.compress.recipe.RecipeParser;
import org.slim4j.convert.GgufToHf;
import org.slim4j.convert.HfToGguf;
import org.slim4j.model.CausalLM;
import org.slim4j.model.Encoder;
import org.slim4j.model.Models;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.FastBert;
import org.slim4j.model.llama.FastLlama;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.util.BadInputException;

/**
 * The Java API: load any supported model with one call and get the fast engine ({@link FastLlama}, {@link FastBert});
 * compress, shrink or convert a model with one call. A model is named by a path (a Hugging Face folder, a .gguf or
 * an .onnx file) or by the name of a built-in encoder shipped through Maven Central. The float32 reference models
 * ({@link Models}) stay the oracle the fast engines are tested against.
 */
public final class Slim4j {
    public enum Kind { DECODER, ENCODER }

    private Slim4j() {}

    /** A decoder ({@link CausalLM}) or an encoder ({@link Encoder}), whichever the model is. */
    public static AutoCloseable load(String spec) {
        return kindOf(spec) == Kind.DECODER ? loadCausalLM(spec) : loadEncoder(spec);
    }

    public static Kind kindOf(String spec) {
        return Models.kindOf(spec) == Models.Kind.DECODER ? Kind.DECODER : Kind.ENCODER;
    }

    /** A Llama-family decoder (Llama, Mistral, Qwen2, SmolLM) from a Hugging Face folder or a .gguf file, on all cores. */
    public static CausalLM loadCausalLM(String spec) {
        return loadCausalLM(spec, EngineOptions.defaults());
    }

    /** The same with the engine's threads and switches chosen ({@link EngineOptions}). */
    public static CausalLM loadCausalLM(String spec, EngineOptions options) {
        return new FastLlama(Models.decoder(spec), options, true);
    }

    /**
     * The same, running {@code whileLoading} on the model's tokenizer on a thread of its own while the engine lays out
     * the weights, and returning once both are done: an evaluation builds the tokenizer and tokenizes its text (a
     * GGUF's vocabulary becomes a Hugging Face tokenizer first, ~0.7 s) while the weights are re-laid, not after. A
     * failure in {@code whileLoading} is rethrown as it was thrown, the model closed.
     */
    public static CausalLM loadCausalLM(String spec, EngineOptions options, java.util.function.Consumer<org.slim4j.tokenizer.Tokenizer> whileLoading) {
        org.slim4j.model.llama.LlamaModel m = Models.decoder(spec);
        java.util.concurrent.FutureTask<Void> side = new java.util.concurrent.FutureTask<>(() -> whileLoading.accept(m.tokenizer()), null);
        Thread t = new Thread(side, "slim4j-tokenize");
        t.setDaemon(true);
        t.start();
        FastLlama f = null;
        try {
            f = new FastLlama(m, options, true);
            side.get();
            return f;
        } catch (java.util.concurrent.ExecutionException e) {
            close(f, m);
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error r) throw r;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            close(f, m);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading " + spec, e);
        } catch (RuntimeException | Error e) {
            side.cancel(false);
            close(f, m);
            throw e;
        }
    }

    private static void close(FastLlama f, org.slim4j.model.llama.LlamaModel m) {
        if (f != null) f.close();
        else m.close();
    }

    /**
     * A BERT-family encoder: a built-in name (all-minilm-l6-v2, bge-small-en-v1.5), an .onnx file with its tokenizer
     * (tokenizer.json or NAME-tokenizer.json beside it), or a Hugging Face folder (compressed-tensors included).
     */
    public static Encoder loadEncoder(String spec) {
        return loadEncoder(spec, EngineOptions.defaults());
    }

    /** The same with the engine's threads chosen; structurally pruned encoders (uneven layers) run the exact path. */
    public static Encoder loadEncoder(String spec, EngineOptions options) {
        BertModel m = Models.encoder(spec);
        return FastBert.supports(m.config()) ? new FastBert(m, options, 0) : m;
    }

    /** The file behind a model name: a built-in encoder's extracted .onnx, or the path itself. */
    public static Path file(String spec) {
        return Models.file(spec);
    }

    /**
     * Compresses {@code model} by a scheme shortcut (w8, w4g64-gptq-asym-emb, ...) or a llama.cpp file type (q4_k_m,
     * q8_0, ...: a GGUF), calibrated layer by layer, or codes it losslessly ({@code lossless}: a folder whose weights
     * load bit for bit); writes the result and its report to {@link CompressOptions#output}.
     */
    public static CompressionResult compress(String model, String scheme, CompressOptions options) {
        return Compression.run(model, scheme, options);
    }

    /** Compresses {@code model} by a recipe (stages of methods; see {@link RecipeParser}). */
    public static CompressionResult compress(String model, Recipe recipe, CompressOptions options) {
        return Compression.run(model, recipe, options);
    }

    /** Compresses {@code model} by the recipe in a YAML file. */
    public static CompressionResult compress(String model, Path recipeYaml, CompressOptions options) {
        return Compression.run(model, RecipeParser.read(recipeYaml), options);
    }

    /** Structured removal (heads, KV groups, FFN channels, blocks) ranked by calibration importance. */
    public static CompressionResult shrink(String model, ShrinkOptions options) {
        return Shrink.run(model, options);
    }

    /**
     * Converts by the output's form: a Hugging Face decoder folder to {@code out.gguf} ({@code matrixType} f32, f16,
     * bf16 or null for as stored), a .gguf to a Hugging Face folder, or a compressed encoder folder to
     * {@code out.onnx} (8-bit layers as QDQ, 4-bit as MatMulNBits; the graph comes from {@code onnxGraph}, or from
     * the folder's {@code _name_or_path} when null).
     */
    public static void convert(String model, Path out, String matrixType, String onnxGraph) {
        Path in = Path.of(model);
        Compression.checkOutput(model, out);
        AtomicFiles.checkWritable(out, "--output");
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".onnx")) {
            if (matrixType != null) throw new BadInputException("--type", null, "applies only to Hugging Face -> GGUF");
            OnnxQuantExport.fromFolder(in, onnxGraph, out);
        } else if (Files.isDirectory(in)) {
            if (onnxGraph != null) throw new BadInputException("--graph", null, "applies only to -o FILE.onnx");
            if (Files.isDirectory(out)) throw new BadInputException(out, "--output", "is a folder; converting a Hugging Face folder writes a .gguf file (or an .onnx file)");
            HfToGguf.convert(in, out, matrixType(matrixType));
        } else if (Files.isRegularFile(in) && model.toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            if (matrixType != null || onnxGraph != null) throw new BadInputException("--type/--graph", null, "apply only to Hugging Face -> GGUF / ONNX");
            if (Files.isRegularFile(out)) throw new BadInputException(out, "--output", "is a file; converting a GGUF writes a Hugging Face folder");
            GgufToHf.convert(in, out);
        } else {
            throw new BadInputException(in, "--model", "convert takes a Hugging Face folder or a .gguf file");
        }
    }

    private static DType matrixType(String type) {
        if (type == null) return null;
        return switch (type.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            case "bf16" -> DType.BF16;
            default -> throw new BadInputException("--type", null, "'" + type + "' is not one of f32, f16, bf16");
        };
    }
}
