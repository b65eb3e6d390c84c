package org.slim4j.model;

import org.slim4j.tokenizer.Tokenizer;

/** A decoder-only language model (Llama family). */
public interface CausalLM extends AutoCloseable {

    Tokenizer tokenizer();

    int vocabSize();

    int contextLength();

    /** Logits for every position of {@code tokens} (a fresh sequence), row-major [tokens.length][vocabSize]. */
    float[] logits(int[] tokens);

    /**
     * Logits of positions [from, to) only, [to - from][vocabSize], for a fresh sequence of {@code tokens} (evaluations
     * score the second half of each chunk, as llama.cpp's perplexity tool asks for only those logits).
     */
    default float[] logits(int[] tokens, int from, int to) {
        if (from < 0 || to > tokens.length || from > to) throw new IllegalArgumentException("rows [" + from + ", " + to + ") of " + tokens.length);
        return java.util.Arrays.copyOfRange(logits(tokens), from * vocabSize(), to * vocabSize());
    }

    /** Continues {@code prompt} (BOS added where the model expects it); returns only the new text. */
    String generate(String prompt, GenerationOptions options);

    /** The BOS id this model's tokenizer puts at the start of every sequence, or -1 when it puts none. */
    default int autoBos() {
        return -1;
    }

    @Override
    void close();
}
