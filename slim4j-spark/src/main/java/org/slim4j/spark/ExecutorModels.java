package org.slim4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.spark.SparkFiles;
import org.slim4j.model.Encoder;
import org.slim4j.model.Models;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.FastBert;
import org.slim4j.model.llama.FastLlama;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.util.BadInputException;

/**
 * The models of one executor JVM: each loaded once, on the first task that asks for it, and shared by every task the
 * executor runs after that (the weights are mapped from the file, packed once; each task gets a handle with its own
 * worker threads). Kept for the life of the JVM, as executors are reused across jobs; keyed by the model as named.
 */
public final class ExecutorModels {
    private static final ConcurrentMap<String, Object> LOADED = new ConcurrentHashMap<>();

    private ExecutorModels() {}

    /** What one task embeds with: its own threads over the executor's shared weights. */
    public interface EncoderHandle extends AutoCloseable {
        float[][] embed(List<String> texts);

        int dimension();

        @Override
        void close();
    }

    /** A handle on the executor's encoder {@code spec} with {@code threads} workers and at most {@code maxLength} tokens a text. */
    public static EncoderHandle encoder(String spec, int threads, int maxLength) {
        Object shared = LOADED.computeIfAbsent("encoder:" + spec, k -> loadEncoder(spec));
        if (shared instanceof FastBert fast) {
            FastBert own = fast.withThreads(threads, maxLength);
            return new EncoderHandle() {
                public float[][] embed(List<String> texts) {
                    return own.embed(texts);
                }

                public int dimension() {
                    return own.dimension();
                }

                public void close() {
                    own.close();
                }
            };
        }
        // an encoder the fast path does not take (structurally pruned layers): the reference model, one task at a time
        Encoder exact = (Encoder) shared;
        return new EncoderHandle() {
            public float[][] embed(List<String> texts) {
                synchronized (exact) {
                    return exact.embed(texts);
                }
            }

            public int dimension() {
                return exact.dimension();
            }

            public void close() {}
        };
    }

    /** A handle on the executor's decoder {@code spec} with {@code threads} workers; closing it stops only its workers. */
    public static FastLlama decoder(String spec, int threads) {
        FastLlama shared = (FastLlama) LOADED.computeIfAbsent("decoder:" + spec,
                k -> new FastLlama(Models.decoder(resolve(spec)), EngineOptions.defaults().withThreads(1), true));
        return shared.withThreads(threads);
    }

    private static Object loadEncoder(String spec) {
        BertModel m = Models.encoder(resolve(spec));
        return FastBert.supports(m.config()) ? new FastBert(m, EngineOptions.defaults().withThreads(1), 0) : m;
    }

    /**
     * Where {@code spec} is on this machine: a built-in encoder's name, a path that exists here (a shared file system,
     * or the same path on every node), or a file shipped with the job ({@code spark-submit --files} or
     * {@code SparkContext.addFile}), found by its name through {@link SparkFiles}.
     */
    static String resolve(String spec) {
        if (Models.isBuiltIn(spec) || Files.exists(Path.of(spec))) return spec;
        String name = Path.of(spec).getFileName().toString();
        String shipped = null;
        try {
            shipped = SparkFiles.get(name);
        } catch (RuntimeException e) { // no SparkContext or SparkEnv in this JVM
        }
        if (shipped != null && Files.exists(Path.of(shipped))) return shipped;
        throw new BadInputException(spec, "model", "not found on this machine (looked for the path, and for '" + name
                + "' among the files shipped with the job" + (shipped != null ? " at " + shipped : "") + ")");
    }
}
