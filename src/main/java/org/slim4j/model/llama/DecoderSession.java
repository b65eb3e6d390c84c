package org.slim4j.model.llama;

/** One sequence being generated; the returned logits array is owned by the session and overwritten by the next call. */
public interface DecoderSession {
    /** Appends {@code tokens} and returns the logits after the last one. */
    float[] prefill(int[] tokens);

    /** Appends one token and returns the logits for the next. */
    float[] decode(int token);

    int position();

    int capacity();

    void reset();

    /** Bytes the session's KV cache holds (for its whole capacity). */
    long cacheBytes();
}
