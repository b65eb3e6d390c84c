package org.slim4j.model;

import org.slim4j.tokenizer.Tokenizer;

/** A decoder-only language model (Llama family). */
public interface CausalLM extends AutoCloseable {

    Tokenizer tokenizer();

    int vocabSize();

    int contextLength();

    /** Logits for every position of {@code tokens} (a fresh sequence), row-major [tokens.length][vocabSize]. */
    float[] logits(int[] tokens);

    @Override
    void close();
}
