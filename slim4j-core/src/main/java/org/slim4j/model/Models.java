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
        Path p = resolve(spec);
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
        return LlamaLoader.load(resolve(spec));
    }

    /**
     * The float32 reference encoder: a built-in name (all-minilm-l6-v2, bge-small-en-v1.5), an .onnx file with its
     * tokenizer (tokenizer.json or NAME-tokenizer.json beside it), or a Hugging Face folder.
     */
    public static BertModel encoder(String spec) {
        String name = builtIn(spec);
        if (name != null) return name.startsWith("bge") ? DefaultModels.bgeSmallEnV15() : DefaultModels.allMiniLmL6V2();
        Path p = resolve(spec);
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
        return name != null ? DefaultModels.files(name)[0] : resolve(spec);
    }

    /** True for the names of the encoders shipped on the classpath. */
    public static boolean isBuiltIn(String spec) {
        return builtIn(spec) != null;
    }

    /**
     * The path behind a model name: the path itself when it exists; else a Hugging Face name ({@code owner/name}, or
     * {@code owner/name/file.gguf}) looked up in {@code $SLIM4J_MODELS} (as owner/name or name) and in the local
     * Hugging Face cache ({@code $HF_HUB_CACHE}, {@code $HF_HOME/hub} or ~/.cache/huggingface/hub, the snapshot that
     * refs/main names). slim4j never downloads: a name found nowhere is an error listing the places searched.
     */
    public static Path resolve(String spec) {
        return resolve(spec, System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** {@link #resolve(String)} with the environment and home folder given (tests). */
    static Path resolve(String spec, Map<String, String> env, Path userHome) {
        Path direct = Path.of(spec);
        String[] parts = spec.split("/");
        boolean hfName = !spec.startsWith("/") && !spec.startsWith(".") && (parts.length == 2 || parts.length == 3)
                && java.util.Arrays.stream(parts).allMatch(x -> x.matches("[A-Za-z0-9][A-Za-z0-9._-]*"));
        if (Files.exists(direct) || !hfName) return direct;
        String repo = parts[0] + "/" + parts[1];
        String file = parts.length == 3 ? parts[2] : null;
        java.util.List<Path> searched = new java.util.ArrayList<>();
        String models = env.get("SLIM4J_MODELS");
        if (models != null && !models.isBlank()) {
            for (Path dir : new Path[] {Path.of(models, parts[0], parts[1]), Path.of(models, parts[1])}) {
                searched.add(dir);
                if (Files.isDirectory(dir)) return inRepo(dir, file, spec);
            }
        }
        Path hub = hubCache(env, userHome).resolve("models--" + parts[0] + "--" + parts[1]);
        searched.add(hub);
        Path snapshot = snapshot(hub);
        if (snapshot != null) return inRepo(snapshot, file, spec);
        throw new BadInputException(spec, null, "no such file, and no model " + repo + " in " + searched
                + " (slim4j does not download models: fetch it with `hf download " + repo + "` or put it under $SLIM4J_MODELS)");
    }

    private static Path hubCache(Map<String, String> env, Path userHome) {
        String cache = env.get("HF_HUB_CACHE");
        if (cache != null && !cache.isBlank()) return Path.of(cache);
        String home = env.get("HF_HOME");
        if (home != null && !home.isBlank()) return Path.of(home, "hub");
        return userHome.resolve(".cache").resolve("huggingface").resolve("hub");
    }

    /** The snapshot folder refs/main names, else the newest snapshot; null when the repository is not cached. */
    private static Path snapshot(Path repo) {
        Path snapshots = repo.resolve("snapshots");
        if (!Files.isDirectory(snapshots)) return null;
        try {
            Path main = repo.resolve("refs").resolve("main");
            if (Files.isRegularFile(main)) {
                Path s = snapshots.resolve(Files.readString(main).strip());
                if (Files.isDirectory(s)) return s;
            }
            try (var dirs = Files.list(snapshots)) {
                return dirs.filter(Files::isDirectory).max(java.util.Comparator.comparing(d -> d.toFile().lastModified())).orElse(null);
            }
        } catch (IOException e) {
            throw new BadInputException(repo, null, "cannot read the cached model: " + e.getMessage());
        }
    }

    /** A model folder, or the named (or only) .gguf file in it. */
    private static Path inRepo(Path dir, String file, String spec) {
        if (file != null) {
            Path f = dir.resolve(file);
            if (!Files.exists(f)) throw new BadInputException(spec, null, "no " + file + " in " + dir);
            return f;
        }
        if (Files.isRegularFile(dir.resolve("config.json"))) return dir;
        try (var files = Files.list(dir)) {
            java.util.List<Path> ggufs = files.filter(f -> f.getFileName().toString().endsWith(".gguf")).sorted().toList();
            if (ggufs.size() == 1) return ggufs.get(0);
            if (ggufs.size() > 1) {
                throw new BadInputException(spec, null, "the repository has several .gguf files; name one as " + spec + "/FILE: "
                        + ggufs.stream().map(g -> g.getFileName().toString()).toList());
            }
        } catch (IOException e) {
            throw new BadInputException(dir, null, "cannot list: " + e.getMessage());
        }
        return dir;
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
