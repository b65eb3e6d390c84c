package org.slim4j.model;

import java.util.List;
import org.slim4j.tokenizer.Tokenizer;

/** A sentence encoder (BERT family): text in, one pooled, L2-normalised embedding per text out. */
public interface Encoder extends AutoCloseable {

    Tokenizer tokenizer();

    int dimension();

    float[][] embed(List<String> texts);

    /** Tokens per text the encoder reads (special tokens included); {@link #embed} cuts longer texts there. */
    default int maxTokens() {
        return Integer.MAX_VALUE;
    }

    @Override
    void close();
}
