package org.slim4j.model;

import org.slim4j.tokenizer.Tokenizer;

/** A decoder-only language model (Llama family). */
public interface CausalLM extends AutoCloseable {

    Tokenizer tokenizer();

    int vocabSize();

    int contextLength();

    /** Logits for every position of {@code tokens} (a fresh sequence), row-major [tokens.length][vocabSize]. */
    float[] logits(int[] tokens);

    /** Continues {@code prompt} (BOS added where the model expects it); returns only the new text. */
    String generate(String prompt, GenerationOptions options);

    /** The BOS id this model's tokenizer puts at the start of every sequence, or -1 when it puts none. */
    default int autoBos() {
        return -1;
    }

    @Override
    void close();
}
