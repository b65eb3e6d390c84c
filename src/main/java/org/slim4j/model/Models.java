package org.slim4j.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.slim4j.io.ModelFiles;
import org.slim4j.model.bert.BertLoader;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.Conventions;
import org.slim4j.model.bert.DefaultModels;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.util.BadInputException;

/**
 * What a model name means: a path (a Hugging Face folder, a .gguf or an .onnx file) or the name of a built-in encoder
 * shipped through Maven Central, and its float32 reference model (the oracle the fast engines are tested against, and
 * the engine calibration runs on). The Java API ({@code org.slim4j.Slim4j}) wraps these in the fast engines.
 */
public final class Models {
    /** Built-in encoders: accepted names to the classpath model. */
    private static final Map<String, String> BUILT_IN = Map.of(
            "all-minilm-l6-v2", "all-minilm-l6-v2",
            "sentence-transformers/all-minilm-l6-v2", "all-minilm-l6-v2",
            "bge-small-en-v1.5", "bge-small-en-v1.5",
            "baai/bge-small-en-v1.5", "bge-small-en-v1.5");

    public enum Kind { DECODER, ENCODER }

    private Models() {}

    public static Kind kindOf(String spec) {
        if (builtIn(spec) != null) return Kind.ENCODER;
        Path p = Path.of(spec);
        return switch (ModelFiles.detect(p)) {
            case GGUF -> Kind.DECODER;
            case ONNX -> Kind.ENCODER;
            case SAFETENSORS -> kindOfConfig(p.resolveSibling("config.json"));
            case HF_FOLDER -> kindOfConfig(p.resolve("config.json"));
        };
    }

    /** The float32 reference decoder of a Hugging Face folder or a .gguf file. */
    public static LlamaModel decoder(String spec) {
        if (builtIn(spec) != null) throw new BadInputException(spec, null, "is an encoder, not a decoder");
        return LlamaLoader.load(Path.of(spec));
    }

    /**
     * The float32 reference encoder: a built-in name (all-minilm-l6-v2, bge-small-en-v1.5), an .onnx file with its
     * tokenizer (tokenizer.json or NAME-tokenizer.json beside it), or a Hugging Face folder.
     */
    public static BertModel encoder(String spec) {
        String name = builtIn(spec);
        if (name != null) return name.startsWith("bge") ? DefaultModels.bgeSmallEnV15() : DefaultModels.allMiniLmL6V2();
        Path p = Path.of(spec);
        Conventions conv = Conventions.forModelName(p.toAbsolutePath().toString());
        return switch (ModelFiles.detect(p)) {
            case ONNX -> BertLoader.load(p, tokenizerBeside(p), conv);
            case HF_FOLDER -> BertLoader.loadHf(p, conv);
            default -> throw new BadInputException(p, null, "not an encoder (expected an .onnx file or a Hugging Face BERT folder)");
        };
    }

    /** The file behind a model name: a built-in encoder's extracted .onnx, or the path itself. */
    public static Path file(String spec) {
        String name = builtIn(spec);
        return name != null ? DefaultModels.files(name)[0] : Path.of(spec);
    }

    /** True for the names of the encoders shipped on the classpath. */
    public static boolean isBuiltIn(String spec) {
        return builtIn(spec) != null;
    }

    private static String builtIn(String spec) {
        return BUILT_IN.get(spec.toLowerCase(Locale.ROOT));
    }

    private static Path tokenizerBeside(Path onnx) {
        String stem = onnx.getFileName().toString().replaceFirst("\\.onnx$", "");
        for (Path c : new Path[] {onnx.resolveSibling("tokenizer.json"), onnx.resolveSibling(stem + "-tokenizer.json")}) {
            if (Files.isRegularFile(c)) return c;
        }
        throw new BadInputException(onnx, "tokenizer.json", "no tokenizer.json or " + stem + "-tokenizer.json beside the model");
    }

    private static Kind kindOfConfig(Path configJson) {
        if (!Files.isRegularFile(configJson)) throw new BadInputException(configJson, "config.json", "file not found");
        String type;
        try {
            type = new ObjectMapper().readTree(configJson.toFile()).path("model_type").asText("");
        } catch (IOException e) {
            throw new BadInputException(configJson, "config.json", "not valid JSON");
        }
        return switch (type) {
            case "llama", "mistral", "qwen2" -> Kind.DECODER;
            case "bert" -> Kind.ENCODER;
            default -> throw new BadInputException(configJson, "model_type", "'" + type + "' is not supported (llama, mistral, qwen2, bert)");
        };
    }
}
