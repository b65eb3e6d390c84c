package org.slim4j.model.bert;

import org.slim4j.util.TempFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The two encoders that ship on the classpath (langchain4j's embedding artifacts hold nothing but the .onnx file and
 * its tokenizer.json). Each resource is extracted once into ~/.cache/slim4j/models (or $SLIM4J_CACHE), through a temp
 * file and an atomic rename so that concurrent first runs never see half a file; it is then mapped like any file.
 */
public final class DefaultModels {
    private DefaultModels() {}

    public static BertModel allMiniLmL6V2() {
        return load("all-minilm-l6-v2", Conventions.ALL_MINILM);
    }

    public static BertModel bgeSmallEnV15() {
        return load("bge-small-en-v1.5", Conventions.BGE);
    }

    /** The extracted .onnx and tokenizer.json of a classpath model, e.g. "all-minilm-l6-v2". */
    public static Path[] files(String name) {
        return new Path[] {extract(name + ".onnx"), extract(name + "-tokenizer.json")};
    }

    private static BertModel load(String name, Conventions conventions) {
        Path[] f = files(name);
        return BertLoader.load(f[0], f[1], conventions);
    }

    static Path cacheDir() {
        String env = System.getenv("SLIM4J_CACHE");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "slim4j", "models");
    }

    private static synchronized Path extract(String resource) {
        Path target = cacheDir().resolve(resource);
        try (InputStream in = DefaultModels.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("classpath resource " + resource + " is missing (langchain4j embeddings jar not on the classpath?)");
            long size = resourceSize(resource);
            if (Files.isRegularFile(target) && (size < 0 || Files.size(target) == size)) return target;
            Files.createDirectories(target.getParent());
            Path tmp = TempFiles.track(Files.createTempFile(target.getParent(), resource, ".part"));
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                TempFiles.delete(tmp);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("extracting " + resource + " to " + target, e);
        }
    }

    /** The uncompressed size the classpath reports for a resource (-1 when unknown), to spot a stale cached copy. */
    private static long resourceSize(String resource) {
        try {
            var url = DefaultModels.class.getClassLoader().getResource(resource);
            return url == null ? -1 : url.openConnection().getContentLengthLong();
        } catch (IOException e) {
            return -1;
        }
    }
}
