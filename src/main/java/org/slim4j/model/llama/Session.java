package org.slim4j.model.llama;

/**
 * One sequence being generated: a KV cache plus scratch buffers. Prefill the prompt as a batch, then decode a token
 * at a time. The returned logits array is owned by the session and overwritten by the next call.
 */
public final class Session implements DecoderSession {
    private final LlamaModel model;
    private final KvCache cache;
    private final Buffers one;
    private final float[] logits;
    private final int[] single = new int[1];
    private int position;

    Session(LlamaModel model, int capacity) {
        this.model = model;
        this.cache = new KvCache(model.config(), capacity);
        this.one = new Buffers(model.config(), 1, capacity);
        this.logits = new float[model.vocabSize()];
    }

    /** Appends {@code tokens} (any number, processed as one batch) and returns the logits after the last one. */
    public float[] prefill(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("prefill needs at least one token");
        if (tokens.length == 1) return decode(tokens[0]);
        model.forward(tokens, position, cache, new Buffers(model.config(), tokens.length, cache.capacity), logits, false);
        position += tokens.length;
        return logits;
    }

    /** Appends one token and returns the logits for the next; allocates nothing of its own. */
    public float[] decode(int token) {
        single[0] = token;
        model.forward(single, position, cache, one, logits, false);
        position++;
        return logits;
    }

    /** Number of tokens in the cache. */
    public int position() {
        return position;
    }

    public int capacity() {
        return cache.capacity;
    }

    @Override
    public long cacheBytes() {
        return cache.bytes();
    }

    /** Forgets the sequence; the cache is overwritten from position 0. */
    public void reset() {
        position = 0;
    }
}
