package org.slim4j.cli;

import java.nio.file.Path;
import org.slim4j.eval.Chunks;
import org.slim4j.model.CausalLM;
import org.slim4j.tokenizer.Tokenizer;
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

    /** --chunks and --ctx-size's lower bound, checked before a model is loaded. */
    void check() {
        if (chunks == 0 || chunks < -1) throw new BadInputException("--chunks", null, "must be >= 1 (or left out for all chunks), got " + chunks);
        if (ctx < 4) throw new BadInputException("--ctx-size", null, ctx + " is below 4");
    }

    /** The text read and tokenized as far as the chunks need ({@link Chunks#tokenize}). */
    int[] tokens(Tokenizer tok) {
        return Chunks.tokenize(tok, TextFiles.read(file, "--file"), ctx, chunks);
    }

    Chunks chunks(CausalLM model) {
        check();
        return chunks(model, tokens(model.tokenizer()));
    }

    /** The chunks of {@code tokens} for {@code model} (its context bounds --ctx-size). */
    Chunks chunks(CausalLM model, int[] tokens) {
        if (ctx < 4 || ctx > model.contextLength()) {
            throw new BadInputException("--ctx-size", null, ctx + " is outside 4.." + model.contextLength() + " (the model's context)");
        }
        if (tokens.length < ctx) throw new BadInputException(file, "--ctx-size", "text has " + tokens.length + " tokens, fewer than one chunk of " + ctx);
        return Chunks.of(tokens, ctx, chunks, model.autoBos());
    }
}
