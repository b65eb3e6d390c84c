package org.slim4j.tokenizer;

import java.util.function.Supplier;

/**
 * A tokenizer built on first use. A GGUF's vocabulary becomes a tokenizer.json string and a native Hugging Face
 * tokenizer; building them left ~50 MB resident (heap pages touched by the JSON, the library's tables) in runs
 * that never tokenize, such as {@code slim4j bench} on token ids. The vocabulary size is known up front.
 */
public final class LazyTokenizer implements Tokenizer, AutoCloseable {
    private final int vocabSize;
    private Supplier<HfTokenizer> build;
    private HfTokenizer tok;

    public LazyTokenizer(int vocabSize, Supplier<HfTokenizer> build) {
        this.vocabSize = vocabSize;
        this.build = build;
    }

    /** The tokenizer, built now if it was not yet. */
    public synchronized HfTokenizer get() {
        if (tok == null) {
            if (build == null) throw new IllegalStateException("tokenizer closed");
            tok = build.get();
        }
        return tok;
    }

    @Override
    public int[] encode(String text, boolean addSpecial) {
        return get().encode(text, addSpecial);
    }

    @Override
    public String decode(int[] ids) {
        return get().decode(ids);
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public synchronized void close() {
        build = null;
        if (tok != null) tok.close();
        tok = null;
    }
}
