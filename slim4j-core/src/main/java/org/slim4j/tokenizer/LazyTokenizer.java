package org.slim4j.tokenizer;

import java.util.function.Supplier;

/**
 * A tokenizer built on first use, so runs that never tokenize (such as {@code slim4j bench} on token ids) do not pay
 * for its tables (a GGUF's vocabulary: {@link ByteLevelBpe} or {@link SentencePieceBpe}, a few MB and up to a few
 * hundred ms). The vocabulary size is known up front.
 */
public final class LazyTokenizer implements Tokenizer, AutoCloseable {
    private final int vocabSize;
    private Supplier<? extends Tokenizer> build;
    private Tokenizer tok;

    public LazyTokenizer(int vocabSize, Supplier<? extends Tokenizer> build) {
        this.vocabSize = vocabSize;
        this.build = build;
    }

    /** The tokenizer, built now if it was not yet. */
    public synchronized Tokenizer get() {
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
        if (tok instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        tok = null;
    }
}
