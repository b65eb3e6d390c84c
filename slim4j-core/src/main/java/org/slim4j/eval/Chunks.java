package org.slim4j.eval;

import java.util.Arrays;
import org.slim4j.model.CausalLM;
import org.slim4j.tokenizer.Tokenizer;

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

    /** Tokens dropped from the end of a tokenized prefix: its last pre-tokens may differ from the whole text's. */
    static final int TAIL = 256;

    /**
     * The text's tokens, as many as {@code maxChunks} chunks of {@code nCtx} need (the whole text when maxChunks is
     * not positive): a prefix cut after a line end, tokenized, less its last {@link #TAIL} tokens, when that holds
     * enough; else the whole text. The tokens are the whole text's: pre-tokenization and merges are local (a token
     * depends on the text up to a few characters past it), so only the last pre-tokens before the cut can differ,
     * and those are dropped ({@code ChunksTest} checks it against tokenizing everything). llama.cpp tokenizes the
     * whole file; 20 chunks of 512 from a 360 KB text need a tenth of it (0.4 s of a 6 s evaluation).
     */
    public static int[] tokenize(Tokenizer tok, String text, int nCtx, int maxChunks) {
        if (maxChunks > 0) {
            long need = (long) maxChunks * nCtx + TAIL;
            for (long len = Math.max(1 << 15, need * 8); len < text.length(); len *= 2) {
                int cut = text.indexOf('\n', (int) len);
                if (cut < 0) break;
                int[] t = tok.encode(text.substring(0, cut + 1), false);
                if (t.length >= need) return Arrays.copyOf(t, t.length - TAIL);
            }
        }
        return tok.encode(text, false);
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
        return scoredPerChunk(nCtx);
    }

    /** Scored positions in a chunk of nCtx tokens: those after the first half, each predicting the next token. */
    public static int scoredPerChunk(int nCtx) {
        return nCtx - 1 - nCtx / 2;
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
