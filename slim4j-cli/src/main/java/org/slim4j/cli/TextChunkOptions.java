package org.slim4j.cli;

import java.nio.file.Path;
import org.slim4j.Slim4j;
import org.slim4j.eval.Chunks;
import org.slim4j.model.CausalLM;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.util.BadInputException;
import org.slim4j.util.TextFiles;
import picocli.CommandLine.Option;

/** The text, context and chunk count of llama.cpp's perplexity protocol. */
final class TextChunkOptions {
    @Option(names = {"-f", "--file"}, required = true, paramLabel = "TEXT", description = "Text file to evaluate on (e.g. wikitext-2-raw-test.txt).")
    Path file;

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "512", paramLabel = "N", description = "Tokens per chunk (default: ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--chunks", defaultValue = "-1", paramLabel = "N", description = "Evaluate at most N chunks (default: all).")
    int chunks;

    /** A loaded model and the chunks of the text it is evaluated on; closing it closes the model. */
    record Loaded(CausalLM lm, Chunks chunks) implements AutoCloseable {
        @Override
        public void close() {
            lm.close();
        }
    }

    /**
     * {@code model} loaded with {@code options}, the text read and tokenized (as far as the chunks need,
     * {@link Chunks#tokenize}) on a thread of its own while the engine lays out the weights. --chunks and --ctx-size's
     * lower bound are checked first.
     */
    Loaded load(String model, EngineOptions options) {
        if (chunks == 0 || chunks < -1) throw new BadInputException("--chunks", null, "must be >= 1 (or left out for all chunks), got " + chunks);
        if (ctx < 4) throw new BadInputException("--ctx-size", null, ctx + " is below 4");
        int[][] tokens = new int[1][];
        CausalLM lm = Slim4j.loadCausalLM(model, options, tok -> tokens[0] = Chunks.tokenize(tok, TextFiles.read(file, "--file"), ctx, chunks));
        try {
            return new Loaded(lm, chunks(lm, tokens[0]));
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
    }

    /** The chunks of {@code tokens} for {@code model} (its context bounds --ctx-size). */
    private Chunks chunks(CausalLM model, int[] tokens) {
        if (ctx < 4 || ctx > model.contextLength()) {
            throw new BadInputException("--ctx-size", null, ctx + " is outside 4.." + model.contextLength() + " (the model's context)");
        }
        if (tokens.length < ctx) throw new BadInputException(file, "--ctx-size", "text has " + tokens.length + " tokens, fewer than one chunk of " + ctx);
        return Chunks.of(tokens, ctx, chunks, model.autoBos());
    }
}
