package org.slim4j.eval;

import java.util.Arrays;
import org.slim4j.model.CausalLM;

/**
 * llama.cpp's perplexity protocol: the whole text tokenized once, cut into consecutive chunks of nCtx tokens
 * from the start; each chunk is evaluated from scratch and only its second half is scored (positions
 * nCtx/2 .. nCtx-2 predict tokens nCtx/2+1 .. nCtx-1), so every scored token has at least nCtx/2 of context.
 * With a BOS token the chunk's first token is replaced by BOS, as llama.cpp does.
 */
public record Chunks(int[] tokens, int nCtx, int count, int bos) {

    public static Chunks of(int[] tokens, int nCtx, int maxChunks, int bos) {
        if (nCtx < 4) throw new IllegalArgumentException("context must be at least 4 tokens, got " + nCtx);
        int available = tokens.length / nCtx;
        if (available == 0) {
            throw new IllegalArgumentException("text has " + tokens.length + " tokens, fewer than one chunk of " + nCtx);
        }
        int count = maxChunks > 0 ? Math.min(maxChunks, available) : available;
        return new Chunks(tokens, nCtx, count, bos);
    }

    public int[] chunk(int i) {
        int[] c = Arrays.copyOfRange(tokens, i * nCtx, (i + 1) * nCtx);
        if (bos >= 0) c[0] = bos;
        return c;
    }

    public int firstScored() {
        return nCtx / 2;
    }

    /** Scored positions per chunk. */
    public int scoredPerChunk() {
        return nCtx - 1 - firstScored();
    }

    /** The model's logits of chunk i's scored positions: [scoredPerChunk][vocab]. */
    public float[] scoredLogits(CausalLM model, int i) {
        return model.logits(chunk(i), firstScored(), firstScored() + scoredPerChunk());
    }

    /** As {@link #scoredLogits(CausalLM, int)} into {@code out} ([scoredPerChunk][vocab] at least). */
    public void scoredLogits(CausalLM model, int i, float[] out) {
        model.logits(chunk(i), firstScored(), firstScored() + scoredPerChunk(), out);
    }

    /** The token that position {@code pos} of chunk {@code i} predicts. */
    public int target(int i, int pos) {
        return tokens[i * nCtx + pos + 1];
    }
}
